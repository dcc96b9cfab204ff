// Page tracer for the release link order (scripts/release/update-order.sh); not part of the product.
//
// Loaded with LD_PRELOAD into a `stargraph` process, it makes the executable's code pages
// unreadable, records each page the first time anything executes or reads it (SIGSEGV handler),
// then gives that page back its normal protection. After PAGETRACE_SECONDS (default 5) it writes
// the pages, as link-time addresses in first-touch order, one per line, to PAGETRACE_OUT.
//
// Run the traced process with SWIFT_BACKTRACE=enable=no, or Swift's crash handler replaces ours.
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const unsigned long page = 4096;
static unsigned long code_start, code_end, load_bias;
static unsigned char *touched;
static unsigned long *first_touch;
static unsigned touch_count;

static void on_fault(int signal_number, siginfo_t *info, void *context) {
  (void)context;
  unsigned long address = (unsigned long)info->si_addr & ~(page - 1);
  if (address < code_start || address >= code_end) {
    // A real crash: let it happen with the default action.
    signal(signal_number, SIG_DFL);
    return;
  }
  unsigned long index = (address - code_start) / page;
  if (!__atomic_exchange_n(&touched[index], 1, __ATOMIC_SEQ_CST)) {
    first_touch[__atomic_fetch_add(&touch_count, 1, __ATOMIC_SEQ_CST)] = address - load_bias;
  }
  mprotect((void *)address, page, PROT_READ | PROT_EXEC);
}

static void *write_after_delay(void *unused) {
  (void)unused;
  const char *seconds = getenv("PAGETRACE_SECONDS");
  sleep(seconds ? (unsigned)atoi(seconds) : 5);
  FILE *out = fopen(getenv("PAGETRACE_OUT"), "w");
  if (!out) return NULL;
  unsigned count = __atomic_load_n(&touch_count, __ATOMIC_SEQ_CST);
  for (unsigned i = 0; i < count; i++) fprintf(out, "%lu\n", first_touch[i]);
  fclose(out);
  return NULL;
}

// Finds the executable's (not a library's) executable PT_LOAD segment.
static int find_code_segment(struct dl_phdr_info *info, size_t size, void *unused) {
  (void)size; (void)unused;
  if (info->dlpi_name[0] != '\0') return 0;
  load_bias = info->dlpi_addr;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
    if (segment->p_type == PT_LOAD && (segment->p_flags & PF_X)) {
      unsigned long start = load_bias + segment->p_vaddr;
      code_start = (start + page - 1) & ~(page - 1);
      code_end = (start + segment->p_memsz) & ~(page - 1);
    }
  }
  return 1;
}

__attribute__((constructor)) static void start_tracing(void) {
  if (!getenv("PAGETRACE_OUT")) return;
  dl_iterate_phdr(find_code_segment, NULL);
  if (code_end <= code_start) return;
  unsigned long pages = (code_end - code_start) / page;
  touched = calloc(pages, 1);
  first_touch = calloc(pages, sizeof *first_touch);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_fault;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &action, NULL);
  pthread_t writer;
  pthread_create(&writer, NULL, write_after_delay, NULL);
  pthread_detach(writer);
  mprotect((void *)code_start, code_end - code_start, PROT_NONE);
}
