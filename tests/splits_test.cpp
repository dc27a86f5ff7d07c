// Splits: no patient ever crosses sides (except in the explicitly leaky reference split).
#include "data/splits.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "util/error.h"

using namespace murmur::data;

namespace {

// 58 patients like BMD-HS's single-label set (AR 7, AS 8, MR 11, MS 11, N 21), 8 recordings each.
std::vector<Item> bmdhs_like() {
  std::vector<Item> items;
  const int per_class[5] = {7, 8, 11, 11, 21};
  const char* names[5] = {"AR", "AS", "MR", "MS", "N"};
  for (int c = 0; c < 5; ++c)
    for (int p = 0; p < per_class[c]; ++p)
      for (int r = 0; r < 8; ++r) items.push_back({std::string(names[c]) + "_" + std::to_string(100 + p), c});
  return items;
}

}  // namespace

TEST(Splits, NoPatientInTwoFolds) {
  auto items = bmdhs_like();
  auto folds = stratified_group_kfold(items, 5, 42);
  ASSERT_EQ(folds.size(), 5u);
  std::map<std::string, int> fold_of;
  size_t tested = 0;
  for (int f = 0; f < 5; ++f) {
    EXPECT_NO_THROW(check_no_leak(items, folds[size_t(f)]));
    EXPECT_EQ(folds[size_t(f)].train.size() + folds[size_t(f)].test.size(), items.size());
    for (int i : folds[size_t(f)].test) {
      auto [it, fresh] = fold_of.emplace(items[size_t(i)].group, f);
      EXPECT_TRUE(fresh || it->second == f) << items[size_t(i)].group << " tested in two folds";
    }
    tested += folds[size_t(f)].test.size();
  }
  EXPECT_EQ(tested, items.size()) << "every recording is tested exactly once";
}

TEST(Splits, FoldsAreStratified) {
  auto items = bmdhs_like();
  auto folds = stratified_group_kfold(items, 5, 7);
  for (auto& f : folds) {
    std::map<int, std::set<std::string>> patients;
    for (int i : f.test) patients[items[size_t(i)].label].insert(items[size_t(i)].group);
    EXPECT_GE(patients[0].size(), 1u);              // AR: 7 patients over 5 folds -> 1 or 2
    EXPECT_LE(patients[0].size(), 2u);
    EXPECT_GE(patients[4].size(), 4u);              // N: 21 -> 4 or 5
    EXPECT_LE(patients[4].size(), 5u);
  }
}

TEST(Splits, SeedDecidesAssignment) {
  auto items = bmdhs_like();
  EXPECT_EQ(stratified_group_kfold(items, 5, 1)[0].test, stratified_group_kfold(items, 5, 1)[0].test);
  EXPECT_NE(stratified_group_kfold(items, 5, 1)[0].test, stratified_group_kfold(items, 5, 2)[0].test);
}

TEST(Splits, ValidationCarvedByPatient) {
  auto items = bmdhs_like();
  auto folds = stratified_group_kfold(items, 5, 3);
  carve_validation(items, folds[0], 0.2, 3);
  EXPECT_FALSE(folds[0].val.empty());
  EXPECT_NO_THROW(check_no_leak(items, folds[0]));
  std::set<int> val_classes;
  for (int i : folds[0].val) val_classes.insert(items[size_t(i)].label);
  EXPECT_EQ(val_classes.size(), 5u) << "every class is validated";
}

TEST(Splits, PatientSplitIsClean) {
  auto items = bmdhs_like();
  Split s = patient_split(items, 0.2, 0.2, 11);
  EXPECT_TRUE(leaked_groups(items, s).empty());
  EXPECT_EQ(s.train.size() + s.val.size() + s.test.size(), items.size());
  EXPECT_NEAR(double(s.test.size()) / double(items.size()), 0.2, 0.06);
  EXPECT_NEAR(double(s.val.size()) / double(items.size()), 0.2, 0.06);
}

// The guard must catch a leaky split: the reference's per-recording split leaks patients.
TEST(Splits, LeakageGuardCatchesRecordingSplit) {
  auto items = bmdhs_like();
  Split s = recording_split(items, 0.2, 0.2, 0);
  EXPECT_FALSE(leaked_groups(items, s).empty());
  try {
    check_no_leak(items, s);
    FAIL() << "leaky split passed the guard";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("leakage guard: patient"), std::string::npos) << e.what();
  }
  // One patient moved by hand into test is enough to trip it.
  auto folds = stratified_group_kfold(items, 5, 1);
  folds[0].test.push_back(folds[0].train.front());
  EXPECT_THROW(check_no_leak(items, folds[0]), murmur::Error);
}

TEST(Splits, RejectsMixedClassPatientAndTooFewPatients) {
  std::vector<Item> items{{"P1", 0}, {"P1", 1}, {"P2", 0}};
  EXPECT_THROW(stratified_group_kfold(items, 2, 0), murmur::Error);
  std::vector<Item> few{{"P1", 0}, {"P2", 1}};
  EXPECT_THROW(stratified_group_kfold(few, 3, 0), murmur::Error);
  EXPECT_NO_THROW(stratified_group_kfold(few, 2, 0));
}

// Boundary: one patient per class leaves nothing to carve; two in one class gives that class's spare.
TEST(Splits, TinyDataStillGetsAValidationPatient) {
  std::vector<Item> items{{"A1", 0}, {"B1", 1}, {"C1", 2}, {"C2", 2}};
  Split s;
  s.train = {0, 1, 2, 3};
  carve_validation(items, s, 0.2, 1);
  ASSERT_EQ(s.val.size(), 1u);
  EXPECT_EQ(items[size_t(s.val[0])].label, 2);
  std::vector<Item> singles{{"A1", 0}, {"B1", 1}};
  Split t;
  t.train = {0, 1};
  carve_validation(singles, t, 0.2, 1);
  EXPECT_TRUE(t.val.empty());
}
