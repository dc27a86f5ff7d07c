#!/usr/bin/env python3
"""Checks that PyTorch reads a murmur checkpoint as the reference would.

Run with Debian's python3-torch (/usr/bin/python3):
    /usr/bin/python3 tools/check_checkpoint.py CHECKPOINT [--expected EXPECTED_JSON]

torch.load's dict must hold model_state_dict, val_acc, label_to_idx, epoch, preset, murmur_config
(JSON), class_names (agreeing with label_to_idx) and provenance (JSON with murmur_version and
murmur_commit), and the state dict must load strictly into the reference SeedCNN (as in the
reference's make_golden.py). With --expected (written by murmur_tests
--gtest_filter=Checkpoint.WriteForPython) the eval-mode logits on its input tensor must equal
murmur's within 1e-5. Prints the measured difference; exits non-zero on any failure.
"""
import argparse, json, os, sys
import torch, torch.nn as nn

TOLERANCE = 1e-5


# The reference project's network, exactly as in make_golden.py.
def block(cin, cout, p):
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2), nn.Dropout2d(p)]

class SeedCNN(nn.Module):
    def __init__(self, n=5):
        super().__init__()
        self.features = nn.Sequential(*block(3, 32, .1), *block(32, 64, .1), *block(64, 128, .2), *block(128, 256, .2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Dropout(.5), nn.Linear(256, 128), nn.ReLU(inplace=True), nn.Dropout(.3),
                                        nn.Linear(128, 64), nn.ReLU(inplace=True), nn.Dropout(.2), nn.Linear(64, n))
    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def check(cond, what):
    if not cond:
        sys.exit('check_checkpoint: FAIL: ' + what)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('checkpoint')
    ap.add_argument('--expected', help="JSON with 'input' (tensor file next to it) and murmur's 'logits'")
    args = ap.parse_args()

    ck = torch.load(args.checkpoint, map_location='cpu')
    keys = {'model_state_dict', 'val_acc', 'label_to_idx', 'epoch', 'preset', 'murmur_config', 'class_names', 'provenance'}
    check(isinstance(ck, dict), 'torch.load gave a %s, not a dict' % type(ck).__name__)
    check(keys <= set(ck), 'missing keys %s' % sorted(keys - set(ck)))
    check(isinstance(ck['val_acc'], float), 'val_acc is a %s' % type(ck['val_acc']).__name__)
    check(isinstance(ck['epoch'], int), 'epoch is a %s' % type(ck['epoch']).__name__)
    check(isinstance(ck['preset'], str), 'preset is a %s' % type(ck['preset']).__name__)
    names = ck['class_names']
    check({n: i for i, n in enumerate(names)} == ck['label_to_idx'],
          'class_names %s disagree with label_to_idx %s' % (names, ck['label_to_idx']))
    json.loads(ck['murmur_config'])
    provenance = json.loads(ck['provenance'])
    check({'murmur_version', 'murmur_commit'} <= set(provenance), 'provenance lacks murmur_version/commit')

    model = SeedCNN(len(names))
    model.load_state_dict(ck['model_state_dict'], strict=True)
    model.eval()
    print('check_checkpoint: %s: %d tensors load strictly into SeedCNN; keys, classes %s, epoch %d, preset %r ok'
          % (args.checkpoint, len(ck['model_state_dict']), names, ck['epoch'], ck['preset']))

    if args.expected:
        with open(args.expected) as f:
            expected = json.load(f)
        x = torch.load(os.path.join(os.path.dirname(args.expected), expected['input']))
        with torch.no_grad():
            logits = model(x).double()
        diff = (logits - torch.tensor(expected['logits'], dtype=torch.float64)).abs().max().item()
        print('check_checkpoint: max |PyTorch logit - murmur logit| on %s: %.3g (tolerance %g)'
              % (list(x.shape), diff, TOLERANCE))
        check(diff <= TOLERANCE, 'logits differ by %g' % diff)
        for k in ('epoch', 'preset', 'class_names'):
            check(ck[k] == expected[k], '%s is %r, murmur wrote %r' % (k, ck[k], expected[k]))


if __name__ == '__main__':
    main()
