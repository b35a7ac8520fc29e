// vigil predict --model DIR IMAGE...: one Custom Vision JSON envelope per image on stdout, one line each.
// An unreadable image is reported on stderr and the rest still run; the exit status is 1 if any failed.
#include <chrono>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "vision/image_io.h"
#include "vision/model.h"
#include "vision/prediction_json.h"

namespace vigil::cli {

void add_predict_command(CLI::App& app, Action& run) {
  struct Options {
    std::string model;
    std::vector<std::string> images;
    std::string device = "cpu";
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("predict", "Run a model on image files and print the prediction JSON, one line each");
  cmd->add_option("--model,-m", o->model, "model folder, or builtin:person")->required();
  cmd->add_option("--device", o->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("images", o->images, "image files (JPEG, PNG, BMP, WebP, TIFF)")->required();
  cmd->callback([o, &run] {
    run = [o] {
      auto model = vision::load_model(o->model, {o->device});
      if (!model) {
        std::cerr << "vigil predict: " << model.error().message << "\n";
        return 1;
      }
      int failures = 0;
      for (const auto& path : o->images) {
        auto img = vision::read_image_file(path);
        auto prediction = img ? (*model)->predict(*img) : Result<vision::Prediction>(img.error());
        if (!prediction) {
          std::cerr << "vigil predict: " << prediction.error().message << "\n";
          ++failures;
          continue;
        }
        std::cout << vision::prediction_envelope(*prediction, std::chrono::system_clock::now()) << "\n" << std::flush;
      }
      return failures ? 1 : 0;
    };
  });
}

}  // namespace vigil::cli
