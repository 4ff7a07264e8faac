/* Asks for a capability that the nobody user lacks: chown of a root-owned file needs CAP_CHOWN. */
#include <stdio.h>
#include <unistd.h>

static int give_away(const char *path) {
  return chown(path, 65534, 65534); /* CAP_CHOWN checked here */
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "owned.txt";
  if (give_away(path) != 0) {
    perror("chown");
    return 1;
  }
  puts("chown succeeded");
  return 0;
}
