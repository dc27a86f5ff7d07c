// Fuzz target: model files as `predict`, `serve` and `stream` open them (pipeline::Predictor):
// the zip reader (zip_index: directory, CRCs, sizes), the pickle reader, tensors, the preset
// config inside, and loading the weights into the network (LibTorch's and infer/'s). Seeds: fuzz/corpus/checkpoint (a
// small native model, the reference's seed_model.pth layout, corrupted variants).
#include "fuzz_util.h"
#include "infer/native_predictor.h"
#include "pipeline/predictor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = murmur::fuzz::write_file("model.pth", murmur::fuzz::bytes(data, size));
  murmur::fuzz::expect_errors([&] { murmur::pipeline::Predictor::open(path); });
  // The launcher's LibTorch-free reader of the same files (infer/): runs them or declines.
  (void)murmur::infer::NativePredictor::open(path);
  return 0;
}
