// `import murmur`: the Python module (pybind11), over the installed interface (murmur/murmur.h)
// and murmur's log-mel and data index. Built with -DMURMUR_PYTHON=ON into <build>/python/.
//
//   import murmur, numpy as np
//   model = murmur.load("model.pth")                  # murmur's, seed_model.pth, a cv run folder
//   answer = model.predict(x, 4000)                    # x: 1-D float32 numpy array in [-1, 1]
//   answer["class"], answer["probabilities"]["AS"]     # the dict `murmur predict --json` prints
//   model.predict([x1, x2], 4000)["patient"]           # several recordings of one patient, fused
//
// Answers are murmur's own JSON, parsed; the GIL is released while murmur works; a float32
// C-contiguous array reaches murmur without a conversion (other dtypes are converted once);
// murmur::Error arrives as murmur.Error (a ValueError) with murmur's message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/index.h"
#include "features/log_mel.h"
#include "murmur/murmur.h"
#include "util/json.h"

namespace py = pybind11;

namespace {

using Samples = py::array_t<float, py::array::c_style | py::array::forcecast>;

// A 1-D array's data and length, checked; the array stays owned by the caller during the call.
std::pair<const float*, size_t> view(const Samples& x, const std::string& name) {
  if (x.ndim() != 1)
    throw murmur::Error(name + ": samples must be a 1-D array of mono samples (got " + std::to_string(x.ndim()) +
                        " dimensions); mix channels first, e.g. x.mean(axis=1)");
  return {x.data(), size_t(x.shape(0))};
}

py::object parse(const std::string& json_text) { return py::module_::import("json").attr("loads")(json_text); }

template <class F>
auto without_gil(F&& f) {
  py::gil_scoped_release release;
  return f();
}

py::object predict(const murmur::Model& m, const py::object& samples, int rate_hz, const std::string& name) {
  if (!py::isinstance<py::list>(samples) && !py::isinstance<py::tuple>(samples)) {
    const auto x = samples.cast<Samples>();
    const auto [data, n] = view(x, name);
    return parse(without_gil([&] { return m.predict(data, n, rate_hz, name).json; }));
  }
  std::vector<Samples> arrays;
  for (const auto& item : samples) arrays.push_back(item.cast<Samples>());
  if (arrays.empty()) throw murmur::Error(name + ": an empty list of recordings");
  std::vector<murmur::Answer> answers;
  {
    std::vector<std::pair<const float*, size_t>> views;
    for (size_t i = 0; i < arrays.size(); ++i) views.push_back(view(arrays[i], name + "[" + std::to_string(i) + "]"));
    py::gil_scoped_release release;
    for (size_t i = 0; i < views.size(); ++i)
      answers.push_back(m.predict(views[i].first, views[i].second, rate_hz, name + "[" + std::to_string(i) + "]"));
  }
  py::list recordings;
  for (const auto& a : answers) recordings.append(parse(a.json));
  py::dict out;
  out["recordings"] = recordings;
  out["patient"] = parse(m.fuse(answers).json);
  out["patient_fusion"] = m.fusion();
  return out;
}

py::array_t<float> log_mel(const Samples& x, int rate_hz, const py::kwargs& settings) {
  const auto [data, n] = view(x, "log_mel");
  murmur::features::LogMelConfig cfg;
  nlohmann::json j = cfg;
  j["sample_rate_hz"] = rate_hz;
  const nlohmann::json known = j;
  for (const auto& [key, value] : settings) {
    const std::string k = key.cast<std::string>();
    if (!known.contains(k) || k == "sample_rate_hz")
      throw murmur::Error("log_mel: unknown setting " + k + " (settings: n_fft, hop, n_mels, fmin_hz, fmax_hz, "
                          "center, amin, top_db, ref)");
    j[k] = nlohmann::json::parse(py::module_::import("json").attr("dumps")(value).cast<std::string>());
  }
  cfg = j.get<murmur::features::LogMelConfig>();
  cfg.validate("log_mel");
  const std::vector<float> pcm(data, data + n);
  auto* m = new murmur::features::Matrix(without_gil([&] { return murmur::features::log_mel(pcm, cfg); }));
  py::capsule owner(m, [](void* p) { delete static_cast<murmur::features::Matrix*>(p); });
  return py::array_t<float>({m->rows, m->cols}, m->data.data(), owner);
}

}  // namespace

PYBIND11_MODULE(murmur, mod) {
  py::options options;
  options.disable_function_signatures();  // each docstring opens with its own, in Python's terms
  mod.doc() =
      "murmur: heart-sound (phonocardiogram) classification of valvular heart disease.\n\n"
      "Samples are 1-D numpy arrays of mono audio in [-1, 1] (float32 is used as is); rates in Hz;\n"
      "times in seconds. Answers are the dicts `murmur predict --json` prints. Errors raise\n"
      "murmur.Error (a ValueError) naming the input and the problem.";
  mod.attr("__version__") = murmur::version();
  py::register_exception<murmur::Error>(mod, "Error", PyExc_ValueError);

  py::class_<murmur::Model>(mod, "Model", "A loaded model (load() makes one).")
      .def("predict", &predict, py::arg("samples"), py::arg("rate_hz"), py::arg("name") = "samples",
           "predict(samples, rate_hz, name='samples') -> dict\n\n"
           "One recording (a 1-D array at rate_hz Hz, any rate >= 1000 Hz): {'class', 'probabilities': "
           "{class: p}, 'quality': {'status', 'rms', ...}, 'duration_s', 'sample_rate_hz'} (multi-label "
           "models add 'findings', 'thresholds', 'verdict'). A list of recordings of one patient: "
           "{'recordings': [...], 'patient': fused answer, 'patient_fusion'}.")
      .def("predict_file", [](const murmur::Model& m, const std::string& path) {
             return parse(without_gil([&] { return m.predict_file(path).json; }));
           }, py::arg("path"), "predict_file(path) -> dict\n\nThe answer for a WAV/FLAC/OGG file (a .png for seed models).")
      .def("explain", [](const murmur::Model& m, const Samples& x, int rate_hz, const std::string& name) {
             const auto [data, n] = view(x, name);
             return parse(without_gil([&] { return m.explain(data, n, rate_hz, name).json; }));
           }, py::arg("samples"), py::arg("rate_hz"), py::arg("name") = "samples",
           "explain(samples, rate_hz, name='samples') -> dict\n\nThe answer plus 'explanation': how far the "
           "answer falls with the systolic frames, the diastolic frames or one frequency band (Hz) masked, "
           "and a sentence. Native-family models; recordings of 1 s or more at >= 2000 Hz.")
      .def_property_readonly("class_names", &murmur::Model::class_names, "The classes, in output order.")
      .def_property_readonly("preset", &murmur::Model::preset, "The preset it was trained with ('native', ...).")
      .def_property_readonly("fusion", &murmur::Model::fusion, "Patient fusion rule: 'mean' or 'geometric'.")
      .def_property_readonly("info", [](const murmur::Model& m) { return parse(m.info_json()); },
                             "Provenance, preset configuration and member models (dict).");

  mod.def("load", [](const std::string& path) { return without_gil([&] { return murmur::Model::load(path); }); },
          py::arg("path"),
          "load(path) -> Model\n\nmurmur's model.pth, the reference's seed_model.pth, or a cv run folder "
          "(the mean of its fold models).");
  mod.def("segment", [](const Samples& x, int rate_hz, const std::string& name) {
            const auto [data, n] = view(x, name);
            return parse(without_gil([&] { return murmur::heart_cycles(data, n, rate_hz, name).json; }));
          }, py::arg("samples"), py::arg("rate_hz"), py::arg("name") = "samples",
          "segment(samples, rate_hz, name='samples') -> dict\n\nThe heart cycle (Springer's segmentation): "
          "'heart_rate_bpm', 'systolic_interval_s', 'duration_s', 'cycles' (onsets in s), and 'states' per "
          "frame at 'frame_rate_hz' (0 S1, 1 systole, 2 S2, 3 diastole). At least 1 s at >= 2000 Hz.");
  mod.def("log_mel", &log_mel, py::arg("samples"), py::arg("rate_hz"),
          "log_mel(samples, rate_hz, **settings) -> float32 array [n_mels, frames] in dB\n\n"
          "librosa's melspectrogram + power_to_db (within 0.01 dB of librosa's goldens). Defaults are the reference's: n_fft=2048, "
          "hop=512 (samples), n_mels=30, fmin_hz=20, fmax_hz=1000, center=True, amin=1e-10, top_db=80, "
          "ref='max' (or 'fixed': a reference power of 1).");
  mod.def("index", [](const std::string& path) {
            return parse(without_gil([&] { return murmur::util::json_text(murmur::data::index_dataset(path)); }));
          }, py::arg("path"),
          "index(path) -> dict\n\nWhat a data folder holds (BMD-HS, PhysioNet 2016, PASCAL B, a manifest.csv "
          "or several): 'recordings' (path, patient, source, labels, rate in Hz, duration in s), "
          "'patients', 'anomalies', 'summary'. Reads only file headers.");
  mod.def("set_threads", &murmur::set_threads, py::arg("threads"),
          "set_threads(threads)\n\nLibTorch worker threads for all models; 0 = one per core (the default).");
}
