// StreamEngine's model (stream.h) from LibTorch's predictor: what `murmur-torch stream`, the
// library's Stream and the tests use.
//
//   auto predictor = murmur::pipeline::Predictor::open("model.pth");
//   murmur::serve::StreamEngine engine(murmur::serve::stream_model(predictor), 4000);
#pragma once

#include "pipeline/predictor.h"
#include "serve/stream.h"

namespace murmur::serve {

// The predictor must outlive what this returns.
inline StreamModel stream_model(const pipeline::Predictor& predictor) {
  return {predictor.class_names(), predictor.thresholds(), [&predictor](const audio::Audio& window) {
            const torch::Tensor p = predictor.predict_audio(window).to(torch::kDouble).contiguous();
            return std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
          }};
}

}  // namespace murmur::serve
