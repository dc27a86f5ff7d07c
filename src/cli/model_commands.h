// The subcommands that run models. They live in `murmur-torch`, which links LibTorch; `murmur`
// itself does not, so `murmur --help`, index, synth, segment, spectrogram and compare start in
// milliseconds (loading LibTorch and registering its operators costs ~0.6 s of every process that
// links it: docs/RESULTS.md section 8). `murmur predict ...` runs `murmur-torch predict ...`
// (execv, same arguments, same process id), found next to the running `murmur`. Exceptions:
// `murmur predict`, `stream` and `serve` with a native-family model, and `murmur predict` with a
// seed model, run in `murmur` itself, on oneDNN without LibTorch (cli/predict_native.cpp,
// stream.cpp, serve.cpp).
//
//   cmd = app.add_subcommand("predict", model_command_about("predict"));  // in murmur-torch
#pragma once

#include <string>

namespace murmur::cli {

struct ModelCommand {
  const char* name;
  const char* about;  // the one-line description both binaries show
};

inline constexpr ModelCommand kModelCommands[] = {
    {"cv", "Cross-validate by patient; writes RUN_DIR/report.json, report.html, oof_predictions.csv"},
    {"demo", "Synthesise (or use --data), index, draw spectrograms, cross-validate, report, predict"},
    {"evaluate", "Evaluate a model on the test side of the split it was trained with (read from the checkpoint)"},
    {"merge", "Gather the finished folds of one cv run from several run folders (cv --fold K jobs) into one; refuses "
              "folders of another configuration, murmur commit or data set"},
    {"predict", "Classify recordings with a model (.pth) or a cv run folder (fold ensemble)"},
    {"pretrain", "Pretrain a preset's encoder (the native trunk, or EfficientAT's with an efficientat preset) "
                 "without labels on every recording of a data set or collection (contrastive); then train or cv "
                 "--init OUT/model.pth"},
    {"serve", "Serve a model over HTTP: JSON API and a web page (GET /)"},
    {"stream", "Classify a live stream: raw PCM on stdin (or a file), one JSON line per hop"},
    {"status", "List the done and missing folds of a cv run folder (with the commit and data that made each)"},
    {"train", "Train one model (writes OUT/model.pth, class_names.json, metrics.json)"},
};

// The description of a model command (throws std::logic_error for a name not in the table).
std::string model_command_about(const std::string& name);

// In `murmur` (the launcher), for the commands that run native models themselves (predict,
// stream, serve): replaces this process by murmur-torch beside it, with the arguments `murmur` was
// started with, for what they do not run (`why`). The environment decides too: MURMUR_LIBTORCH=1
// sends every model to murmur-torch (libtorch_wanted()), MURMUR_LIBTORCH=0 none (then this throws
// murmur::Error saying why LibTorch was needed). murmur::Error also if murmur-torch cannot run.
[[noreturn]] void hand_to_model_binary(const std::string& why);
bool libtorch_wanted();

}  // namespace murmur::cli
