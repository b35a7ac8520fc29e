#include "track/assignment.h"

#include <algorithm>
#include <limits>

namespace vigil::track {

// Potentials u (rows) and v (columns) keep every reduced cost cost - u - v >= 0; each row is added in turn and
// a shortest augmenting path (Dijkstra on reduced costs) extends the matching. 1-based inside, as the
// textbook form of the method; column 0 is the virtual start of each path.
std::vector<int> min_cost_assignment(const std::vector<std::vector<double>>& cost, double forbidden) {
  const std::size_t rows = cost.size();
  const std::size_t cols = rows ? cost[0].size() : 0;
  if (rows == 0 || cols == 0) return std::vector<int>(rows, -1);
  const bool transposed = rows > cols;  // the method wants rows <= columns
  const std::size_t n = transposed ? cols : rows, m = transposed ? rows : cols;
  auto at = [&](std::size_t i, std::size_t j) {  // 1-based
    const double c = transposed ? cost[j - 1][i - 1] : cost[i - 1][j - 1];
    return std::min(c, forbidden);
  };
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(m + 1, 0);
  std::vector<std::size_t> owner(m + 1, 0), way(m + 1, 0);  // owner[j]: row matched to column j
  for (std::size_t i = 1; i <= n; ++i) {
    owner[0] = i;
    std::size_t j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<bool> used(m + 1, false);
    do {
      used[j0] = true;
      const std::size_t i0 = owner[j0];
      double delta = inf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double reduced = at(i0, j) - u[i0] - v[j];
        if (reduced < minv[j]) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (owner[j0] != 0);
    do {  // flip the augmenting path
      const std::size_t j1 = way[j0];
      owner[j0] = owner[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> out(rows, -1);
  for (std::size_t j = 1; j <= m; ++j) {
    if (owner[j] == 0) continue;
    const std::size_t r = transposed ? j - 1 : owner[j] - 1, c = transposed ? owner[j] - 1 : j - 1;
    if (cost[r][c] < forbidden) out[r] = static_cast<int>(c);
  }
  return out;
}

}  // namespace vigil::track
