/* Benchmark workload for --sites: N denied cap_chown checks (run as nobody on a root-owned file), alternating
   between two call sites. */
#include <stdlib.h>
#include <unistd.h>

static int first(const char *p) { return chown(p, 0, 0) + 1; }
static int second(const char *p) { return chown(p, 0, 0) + 2; }

int main(int argc, char **argv) {
  long n = argc > 2 ? atol(argv[2]) : 1000;
  long sum = 0;
  for (long i = 0; i < n; i++) sum += (i & 1) ? first(argv[1]) : second(argv[1]);
  return sum < 0; /* never: keeps the calls from being optimized away */
}
