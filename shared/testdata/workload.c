// Workload for the recorded fixtures (see README.md): capability checks from several threads, and a
// narrow capability (CAP_BPF, CAP_PERFMON) refused before CAP_SYS_ADMIN in the same syscall.
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *file;

static void *worker(void *arg) {
  (void)arg;
  if (chown(file, 0, 0) != 0) perror("chown");
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  file = argv[2];
  if (strcmp(argv[1], "threads") == 0) {
    for (int i = 0; i < 3; i++) {
      pthread_t t;
      pthread_create(&t, NULL, worker, NULL);
      pthread_join(t, NULL);
    }
    return 0;
  }
  if (strcmp(argv[1], "narrow") == 0) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = 4;
    a.value_size = 4;
    a.max_entries = 1;
    long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
    if (fd < 0) perror("bpf");
    struct perf_event_attr p;
    memset(&p, 0, sizeof p);
    p.size = sizeof p;
    p.type = PERF_TYPE_SOFTWARE;
    p.config = PERF_COUNT_SW_CPU_CLOCK;
    fd = syscall(SYS_perf_event_open, &p, 0, -1, -1, 0);
    if (fd < 0) perror("perf_event_open");
    return 0;
  }
  return 2;
}
