// classify MODEL FILE...: each recording's answer and the patient's, one JSON line each, through
// murmur's installed interface only (<murmur/murmur.h>, target murmur::murmur).
#include <murmur/murmur.h>

#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: classify MODEL FILE...\n";
    return 2;
  }
  try {
    const murmur::Model model = murmur::Model::load(argv[1]);
    std::vector<murmur::Answer> answers;
    for (int i = 2; i < argc; ++i) {
      answers.push_back(model.predict_file(argv[i]));
      std::cout << answers.back().json << "\n";
    }
    std::cout << model.fuse(answers).json << "\n";
    std::cerr << "murmur " << murmur::version() << ", " << model.preset() << " model: patient "
              << model.fuse(answers).label << "\n";
  } catch (const murmur::Error& e) {
    std::cerr << "classify: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
