// ReduceLROnPlateau against PyTorch's own on the same metric sequence.
#include "train/plateau.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "util/error.h"

using murmur::train::Plateau;
using murmur::train::PlateauConfig;

// Expected learning rates printed by torch.optim.lr_scheduler.ReduceLROnPlateau(AdamW(lr=1e-3),
// mode='min', factor=0.5, patience=3) (Debian python3-torch 1.13) after each step(metric).
TEST(Plateau, MatchesPyTorch) {
  const std::vector<double> metrics{1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.91, 0.8, 0.80,
                                    0.7999, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8};
  const std::vector<double> expected{0.001, 0.001, 0.001, 0.001, 0.001, 0.0005, 0.0005, 0.0005, 0.0005,
                                     0.0005, 0.0005, 0.0005, 0.0005, 0.00025, 0.00025, 0.00025, 0.00025, 0.000125};
  Plateau plateau;
  double lr = 1e-3;
  for (size_t i = 0; i < metrics.size(); ++i) {
    if (plateau.step(metrics[i])) lr = plateau.scale(lr);
    EXPECT_DOUBLE_EQ(lr, expected[i]) << "after step " << i;
  }
}

// Boundary: exactly `patience` bad epochs keep the rate; one more reduces it.
TEST(Plateau, PatienceBoundary) {
  PlateauConfig cfg;
  cfg.patience = 2;
  Plateau plateau(cfg);
  EXPECT_FALSE(plateau.step(1.0));
  EXPECT_FALSE(plateau.step(1.0));
  EXPECT_FALSE(plateau.step(1.0));
  EXPECT_TRUE(plateau.step(1.0));
  EXPECT_EQ(plateau.bad_epochs(), 0);
}

TEST(Plateau, ModeMaxAndMinLr) {
  PlateauConfig cfg;
  cfg.mode_min = false;
  cfg.patience = 0;
  cfg.min_lr = 4e-4;
  Plateau plateau(cfg);
  EXPECT_FALSE(plateau.step(0.5));
  EXPECT_FALSE(plateau.step(0.6));
  EXPECT_TRUE(plateau.step(0.6));
  EXPECT_DOUBLE_EQ(plateau.scale(1e-3), 5e-4);
  EXPECT_DOUBLE_EQ(plateau.scale(5e-4), 4e-4);      // floored at min_lr
  EXPECT_DOUBLE_EQ(plateau.scale(4e-4), 4e-4);      // below eps: unchanged
}

TEST(Plateau, RejectsBadFactorAndRoundTripsJson) {
  PlateauConfig cfg;
  cfg.factor = 1.5;
  EXPECT_THROW(Plateau{cfg}, murmur::Error);
  cfg.factor = 0.25;
  nlohmann::json j = cfg;
  EXPECT_DOUBLE_EQ(j.get<PlateauConfig>().factor, 0.25);
}

TEST(Plateau, ValidateNamesTheSetKey) {
  PlateauConfig cfg;
  cfg.patience = -2;
  try {
    cfg.validate();
    FAIL() << "patience -2 accepted";
  } catch (const murmur::Error& e) {
    EXPECT_EQ(std::string(e.what()), "train.plateau.patience: must be >= 0 (got -2)");
  }
}
