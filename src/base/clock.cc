#include "base/clock.h"

namespace ferry::base {

const Clock& RealClock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace ferry::base
