#include "base/memory_budget.h"

#include <gtest/gtest.h>

namespace ferry::base {
namespace {

TEST(MemoryBudgetTest, RefusesWhatDoesNotFitAndCountsIt) {
  MemoryBudget budget(100);
  EXPECT_TRUE(budget.TryAcquire(60));
  EXPECT_FALSE(budget.TryAcquire(41));
  EXPECT_EQ(budget.refused(), 1u);
  EXPECT_TRUE(budget.TryAcquire(40));
  EXPECT_EQ(budget.in_flight(), 100u);
  budget.Release(100);
  EXPECT_EQ(budget.in_flight(), 0u);
  EXPECT_EQ(budget.acquired_total(), 100u);
}

TEST(MemoryBudgetTest, HugeRequestDoesNotOverflow) {
  MemoryBudget budget(100);
  EXPECT_TRUE(budget.TryAcquire(10));
  EXPECT_FALSE(budget.TryAcquire(UINT64_MAX - 5));
  EXPECT_EQ(budget.in_flight(), 10u);
}

TEST(MemoryBudgetTest, ZeroLimitOnlyCounts) {
  MemoryBudget budget(0);
  EXPECT_TRUE(budget.TryAcquire(uint64_t{1} << 40));
  EXPECT_EQ(budget.refused(), 0u);
}

TEST(MemoryLeaseTest, GrowsKeepsWhatItHadOnRefusalAndReleasesOnDestruction) {
  MemoryBudget budget(100);
  {
    MemoryLease lease(&budget);
    EXPECT_TRUE(lease.GrowTo(50));
    EXPECT_TRUE(lease.GrowTo(30));  // never shrinks
    EXPECT_EQ(lease.held(), 50u);
    EXPECT_FALSE(lease.GrowTo(150));
    EXPECT_EQ(lease.held(), 50u);
    EXPECT_TRUE(lease.Add(50));
    EXPECT_EQ(budget.in_flight(), 100u);
    MemoryLease moved = std::move(lease);
    EXPECT_EQ(moved.held(), 100u);
    EXPECT_EQ(lease.held(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  }
  EXPECT_EQ(budget.in_flight(), 0u);
}

}  // namespace
}  // namespace ferry::base
