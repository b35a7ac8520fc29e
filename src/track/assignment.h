// Minimum-cost assignment (the Hungarian method, O(n²·m)) for the tracker's association step. Pure.
#pragma once

#include <vector>

namespace vigil::track {

// cost[r][c] for r < rows, c < cols (rows may differ from cols). Returns, per row, the column it is assigned to,
// or -1. Pairs whose cost is >= `forbidden` are never returned (they are assigned only to fill the square).
std::vector<int> min_cost_assignment(const std::vector<std::vector<double>>& cost, double forbidden);

}  // namespace vigil::track
