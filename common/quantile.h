// The one quantile the project uses: linear interpolation between closest ranks (numpy's default,
// Hyndman-Fan type 7).
#pragma once

#include <vector>

namespace ptc {

// The p-quantile (p in [0, 1], clamped) of `values`; NaN when `values` is empty.
double Quantile(std::vector<double> values, double p);

}  // namespace ptc
