/* memledger.h — the C ABI of memledger: the contract between an accelerator
 * runtime (or any allocator of device memory) and the ledger.
 *
 * Call the hooks from the allocator's callers; memledger keeps the books.
 *
 * Cost: with tracking off (no MEMLEDGER=1 in the environment) every hook below
 * is one relaxed load and a predictable branch, inlined at the call site; no
 * allocation, no thread and no file. With tracking on, a hook takes a sequence
 * number from one per-process atomic counter and writes one 64-byte record into
 * a shared-memory ring; it never takes a lock and never allocates.
 *
 * Thread-safety: every function here may be called from any thread at any time,
 * including from static constructors and destructors.
 *
 * ## Buffer identity and the hook-placement rule
 * A FREE is matched to its ALLOC by (process, device, memory type, buffer_id):
 * pass the free the type of its alloc. Each memory type is its own address
 * space (a DRAM and an L1 buffer may share an address). Pass a
 * buffer_id that is unique while the buffer lives (a buffer object's id): the
 * ledger is then exact even when the free hook runs after the address went back
 * to the allocator and another thread already reused it.
 * Passing buffer_id = 0 means "no identity": the address is the identity, and
 * the hooks must then be placed so that
 *   - the alloc hook runs AFTER the allocator chose the address, and
 *   - the free hook runs BEFORE the address is released to the allocator.
 * A free hook placed too late shows up as the anomaly late_free_hook (an
 * overlap that the older buffer's later free resolved).
 *
 * Versioning: the ABI only grows. Enum values are fixed; new ones are appended.
 */
#ifndef MEMLEDGER_MEMLEDGER_H
#define MEMLEDGER_MEMLEDGER_H

#include <stddef.h>
#include <stdint.h>

#if defined(MEMLEDGER_BUILDING_LIBRARY)
#define MEMLEDGER_API __attribute__((visibility("default")))
#else
#define MEMLEDGER_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Memory types. Values 0..15 are built in; an integrator registers further
 * pools with memledger_register_pool(), which returns ids from 16 up. */
typedef uint8_t memledger_mem_type;
enum {
  MEMLEDGER_DRAM = 0,
  MEMLEDGER_L1 = 1,
  MEMLEDGER_L1_SMALL = 2,
  MEMLEDGER_TRACE = 3,
  MEMLEDGER_SYSTEM_MEMORY = 4,
  MEMLEDGER_CB = 5,
  MEMLEDGER_KERNEL = 6,
  MEMLEDGER_FIRST_POOL = 16,
  MEMLEDGER_MAX_TYPES = 64
};

/* One memory type's capacity on a device, for memledger_device_open(). */
typedef struct memledger_capacity {
  memledger_mem_type type;
  uint64_t bytes;
} memledger_capacity;

/* Nonzero while hooks must enter the library (tracking on, or not yet
 * decided). Read by the inline hooks below; written only by the library. */
extern MEMLEDGER_API int memledger_hooks_active;

/* The out-of-line entry points. They check the enabled state themselves, so
 * bindings that cannot inline (ctypes, other languages) may call them directly. */
MEMLEDGER_API void memledger_record_alloc(uint32_t device, memledger_mem_type type, uint64_t buffer_id,
                                          uint64_t address, uint64_t size);
MEMLEDGER_API void memledger_record_free(uint32_t device, memledger_mem_type type, uint64_t buffer_id,
                                         uint64_t address);
MEMLEDGER_API void memledger_record_cb_alloc(uint32_t device, uint64_t cb_id, uint64_t address, uint64_t size);
MEMLEDGER_API void memledger_record_cb_free(uint32_t device, uint64_t cb_id, uint64_t address);
MEMLEDGER_API void memledger_record_kernel_load(uint32_t device, uint64_t kernel_id, uint64_t address,
                                                uint64_t size);
MEMLEDGER_API void memledger_record_kernel_unload(uint32_t device, uint64_t kernel_id, uint64_t address);

/* Cold-path hooks (not inlined). */

/* A device comes up: its name and capacity per memory type (any may be
 * omitted; n may be 0). Reopening an open device closes it first. The same
 * as memledger_device_open_described() with no uid. */
MEMLEDGER_API void memledger_device_open(uint32_t device, const char* name, const memledger_capacity* capacities,
                                         size_t n);

/* One memory type's address space on a device, for
 * memledger_device_open_described(): where its buffers are placed, so the
 * ledger can say how its free space lies (holes, the largest free block) and
 * why an allocation failed (memledger_alloc_failed).
 *
 * Units: the hooks' own. A flat space (banks = 1) is [base, base + size) in
 * the addresses and sizes the hooks pass. A banked space interleaves every
 * buffer over `banks` banks that allocate in lock step (a buffer has one
 * bank-local address and reserves the same range in every bank, as
 * tt-metal's bank managers do); its hooks pass device totals: a buffer at
 * bank-local address A that reserves F bytes in each bank is hooked with
 * address A x banks and size F x banks (F: the allocator's aligned
 * footprint per bank, not the requested size), and the space is declared
 * with base = the bank-local base x banks and size = the bank size x banks.
 * Any affine numbering works (the simulator hooks base + (A - base) x
 * banks): the ledger only needs a buffer at bank-local offset o hooked at
 * base + o x banks. `alignment` is the allocator's bank-local granule (a
 * power of two): footprints and holes are counted in it.
 *
 * A type placed inside another type's memory names it in `within` and
 * leaves base and size 0: MEMLEDGER_CB within MEMLEDGER_L1 — circular
 * buffers are L1 memory, laid out from L1's base upwards per program while
 * L1 buffers are placed from the top down. Its hooks use the enclosing
 * space's units (a CB at bank-local address A of S bytes per core: address
 * A x banks, size S x banks). Its buffers are not L1's free-space figures
 * (programs take turns in that region; the L1 allocator does not count
 * them): reports draw them over L1's map, and a program's CB region that
 * reaches a live L1 buffer is the clash memledger_alloc_failed reports.
 * A type with its own space sets `within` to its own type. */
typedef struct memledger_address_space {
  memledger_mem_type type;
  memledger_mem_type within; /* == type: its own space; else the type whose space holds it */
  uint32_t banks;            /* 1: flat */
  uint32_t alignment;        /* bank-local bytes, a power of two; 0: 1 */
  uint64_t base;
  uint64_t size;
} memledger_address_space;

/* What memledger_device_open_described() is told of a device. Set
 * struct_size to sizeof(memledger_device_description): the library reads
 * only the fields it covers, so the struct grows at its end and a program
 * built with an older header works with a newer library. */
typedef struct memledger_device_description {
  size_t struct_size;
  const char* name;                     /* NULL: none */
  const memledger_capacity* capacities; /* capacity_count of them; NULL when 0 */
  size_t capacity_count;
  /* What the device is physically, the same in every process that uses it:
   * a GPU's UUID ("GPU-8d4b..."), a PCI bus id, a board serial, a chip's
   * unique id; at most 256 bytes are kept. Processes that open a device with
   * one uid share its books, whatever number each gives it (a process's
   * device 0 under CUDA_VISIBLE_DEVICES=3 is the other's device 3); two
   * processes' device 0 with different uids are two devices. NULL or "":
   * unknown — the device is the one of its number, shared with every
   * process that opens that number without a uid. */
  const char* uid;
  /* Each memory type's address space (above); address_space_count of them,
   * at most one per type; NULL when 0. Types without one have no map: the
   * ledger keeps their books and says it cannot tell their holes. */
  const memledger_address_space* address_spaces;
  size_t address_space_count;
} memledger_device_description;

/* A device comes up, described (above); `device` is this process's own
 * number for it, which every other hook names it by. Reopening an open
 * device closes it first. A NULL description opens it undescribed. */
MEMLEDGER_API void memledger_device_open_described(uint32_t device, const memledger_device_description* description);
/* A device goes down: what this process still holds there becomes its leaks
 * and goes back to the device's free total. */
MEMLEDGER_API void memledger_device_close(uint32_t device);
/* An allocation that failed: the allocator could not place `size` bytes of
 * `type` on `device` (call it where the allocator reports out of memory,
 * before throwing; what the program sees does not change). `extent` is what
 * the request needed in the type's address space, in the units an alloc of
 * it would have been hooked with (a banked space: the footprint per bank x
 * banks, memledger_address_space); 0: the same as `size`. The ledger books
 * the failure with the free space then and a verdict: exhausted (less free
 * than the extent), fragmented (enough free, no block large enough), or,
 * for MEMLEDGER_CB, a program's circular buffers that clash with L1
 * buffers: `size` is the program's CB region, laid out from the base of
 * L1's space (address_space's units: bytes per core x L1's banks), and the
 * live L1 buffers below its end are what it clashed with. Carries the
 * thread's tag and, with stacks on, its stack. */
MEMLEDGER_API void memledger_record_alloc_failed(uint32_t device, memledger_mem_type type, uint64_t size,
                                                 uint64_t extent);
/* A named point in time (a training step, a phase); shown on timelines. */
MEMLEDGER_API void memledger_mark(const char* label);
/* Declares frames of this process's allocator (its wrappers around the
 * hooks, its buffer classes): reports fold the frames whose function or
 * source file `pattern` matches (RE2 syntax, searched anywhere in the name:
 * "^tt::tt_metal::Buffer::|/allocator\\.cpp$") into one line, and name each
 * allocation site by its first frame outside them. Once per pattern, before
 * allocating; at most 256 bytes each and 64 per process; MEMLEDGER_SKIP_FRAMES
 * declares one from the environment. */
MEMLEDGER_API void memledger_skip_frames(const char* pattern);
/* Tags name what allocations are for (weights, kv_cache, ...). They nest per
 * thread; every allocation carries the innermost tag of its thread. */
MEMLEDGER_API void memledger_tag_push(const char* name);
MEMLEDGER_API void memledger_tag_pop(void);
/* Registers a named memory pool and returns its type id (>= MEMLEDGER_FIRST_POOL),
 * the same id for the same name; -1 when this process has registered all
 * MEMLEDGER_MAX_TYPES - MEMLEDGER_FIRST_POOL (48) of its pool ids. The limit is
 * the process's own; a server shares pool names among all its processes and
 * never refuses one (past its table of 4,096 type names, later pools are
 * booked together as "(other pools)", and the report says how many). */
MEMLEDGER_API int memledger_register_pool(const char* name);
/* 1 when tracking is on in this process, else 0. */
MEMLEDGER_API int memledger_enabled(void);
/* The name reports and captures give a built-in type ("DRAM", "L1", ...,
 * "KERNEL"); NULL for a pool id or a value no type has. A static string;
 * tracking on or off. */
MEMLEDGER_API const char* memledger_type_name(memledger_mem_type type);
/* Waits until every event recorded so far has reached the ledger. */
MEMLEDGER_API void memledger_flush(void);
/* From now on every alloc and free carries its call stack, up to `depth`
 * frames (1..MEMLEDGER_MAX_STACK_DEPTH), or none (0). MEMLEDGER_STACKS=1 starts it at load with
 * MEMLEDGER_STACK_DEPTH (default 32). Returns the previous depth; -1 when
 * tracking is off or `depth` is out of range. */
#define MEMLEDGER_MAX_STACK_DEPTH 64
MEMLEDGER_API int memledger_set_stack_depth(int depth);

/* For language bindings (the Python module), not for allocators: frames of
 * interpreted code in allocation stacks. When a stack is captured (stacks on)
 * and a provider is set, `frames` is called on the hooked thread and appends
 * up to `capacity` values from memledger_intern_frame(), innermost first;
 * they go outer to the native frames. It returns how many it wrote (0 when
 * the thread runs no such code, or may not look at it now — Python: does not
 * hold the GIL); it must be cheap then, and it must never block.
 * When it wrote any: leading native frames inside the object that holds
 * `frames` (the binding's own glue) are left out, and the native frames end
 * before the first one inside the object that holds `interpreter` (any
 * address in the interpreter's code; NULL: none end early). Setting NULL
 * removes the provider; a provider may be called a moment after it was
 * removed, so it must stay loaded. */
typedef size_t (*memledger_frame_provider)(uint64_t* frames, size_t capacity);
MEMLEDGER_API void memledger_set_frame_provider(memledger_frame_provider frames, const void* interpreter);
/* The frame value for a function of interpreted code at file:line: the same
 * value for the same text, described to the ledger once, before any stack
 * that holds it. 0 when tracking is off or too many frames were interned
 * (leave the frame out). Any thread; it takes a lock, so a binding keeps the
 * values it was given rather than asking on every stack. */
MEMLEDGER_API uint64_t memledger_intern_frame(const char* function, const char* file, uint32_t line);

/* Checkpoints: what a leak gate in a test suite asks. A checkpoint is a
 * point in this process's ordered stream of records; later, ask which
 * buffers the process allocated after it and still holds (each with its
 * device, type, size, tag and site) and how high its usage went since, per
 * device and type. Exact: a buffer allocated after the checkpoint and freed
 * before the query, on any thread, is never reported, nor one allocated
 * before it. Nest them freely; MEMLEDGER_MAX_CHECKPOINTS may be open at once,
 * and each costs the ledger a little per allocation while open (so end
 * them). In server mode the server answers from its books of this process
 * (the caller's own pid only); a checkpoint begun before the ring changed
 * hands (a server went away, or came back) is not open in the new books.
 *
 * Cost: begin and end publish one record each (like a hook); a query waits
 * for the consumer to apply what was published before it (typically well
 * under a millisecond), then reads only the buffers allocated since the
 * checkpoint. */
#define MEMLEDGER_MAX_CHECKPOINTS 64
#define MEMLEDGER_MAX_EXCLUDES 8
enum {
  MEMLEDGER_E_OFF = -1,                /* tracking is off in this process */
  MEMLEDGER_E_UNKNOWN_CHECKPOINT = -2, /* not open: never begun, ended, or begun before its ledger took over */
  MEMLEDGER_E_STALLED = -3,            /* the consumer applied nothing for the query's timeout */
  MEMLEDGER_E_SERVER = -4,             /* the server that drains this process could not be asked (the text says why) */
  MEMLEDGER_E_ARGUMENT = -5,           /* a NULL or too small struct, too many excludes */
  MEMLEDGER_E_REPORT = -6              /* the counts are set; the report could not be made (the result's text says why) */
};
typedef uint64_t memledger_checkpoint;
/* A new checkpoint; 0 when tracking is off or MEMLEDGER_MAX_CHECKPOINTS are open. */
MEMLEDGER_API memledger_checkpoint memledger_checkpoint_begin(void);
/* Ends it: 0, or MEMLEDGER_E_OFF / MEMLEDGER_E_UNKNOWN_CHECKPOINT. */
MEMLEDGER_API int memledger_checkpoint_end(memledger_checkpoint checkpoint);
/* The sequence number this process's next record will get (0 when tracking
 * is off): read before and after something that is not the caller's (a
 * shared fixture set up inside a test), it bounds that thing's allocations
 * for a query's excludes. */
MEMLEDGER_API uint64_t memledger_sequence(void);

typedef struct memledger_seq_range {
  uint64_t begin; /* memledger_sequence() before */
  uint64_t end;   /* and after: allocations with begin <= seq < end are left out */
} memledger_seq_range;
enum { MEMLEDGER_CHECKPOINT_COUNTS_ONLY = 1 /* no json, no text: the counts alone */ };
/* Set struct_size to sizeof(memledger_checkpoint_query); both structs grow
 * at their end (as memledger_device_description does). */
typedef struct memledger_checkpoint_query {
  size_t struct_size;
  memledger_checkpoint checkpoint;
  uint32_t flags;                      /* MEMLEDGER_CHECKPOINT_COUNTS_ONLY */
  uint32_t max_sites;                  /* sites in the text (the JSON has all); 0: 10 */
  const memledger_seq_range* excludes; /* exclude_count of them, at most MEMLEDGER_MAX_EXCLUDES */
  size_t exclude_count;
  uint32_t timeout_ms; /* how long a consumer that applies nothing is waited for; 0: 10000 */
} memledger_checkpoint_query;
typedef struct memledger_checkpoint_result {
  size_t struct_size;
  uint64_t buffers;          /* allocated after the checkpoint and still live (excludes left out) */
  uint64_t bytes;            /* their bytes */
  uint64_t peak_above_begin; /* the highest, over device x type, of (peak since - live at the checkpoint) */
  /* JSON, schema memledger.checkpoint/1 (docs/python.md): every site with
   * its frames and places, the buffers, the peaks per device and type; and a
   * short text for a failure message. Release both with
   * memledger_free_text. NULL with MEMLEDGER_CHECKPOINT_COUNTS_ONLY; on an
   * error the json is NULL and the text says why when there is more to say
   * than the code (else NULL). */
  char* json;
  char* text;
} memledger_checkpoint_result;
/* 0, or a MEMLEDGER_E_* value (the result's counts are 0 then, but for
 * MEMLEDGER_E_REPORT). Blocks until the consumer (in this process, or the
 * server) applied every record this process published before the call.
 * Any thread but memledger's own. */
MEMLEDGER_API int memledger_query_checkpoint(const memledger_checkpoint_query* query,
                                             memledger_checkpoint_result* result);
/* Frees text memledger returned; NULL is fine. */
MEMLEDGER_API void memledger_free_text(char* text);

/* The hooks. Inline: with tracking off they cost one relaxed load. */
#define MEMLEDGER_HOOKS_ON() __builtin_expect(__atomic_load_n(&memledger_hooks_active, __ATOMIC_RELAXED) != 0, 0)

static inline void memledger_alloc(uint32_t device, memledger_mem_type type, uint64_t buffer_id, uint64_t address,
                                   uint64_t size) {
  if (MEMLEDGER_HOOKS_ON()) memledger_record_alloc(device, type, buffer_id, address, size);
}
static inline void memledger_free(uint32_t device, memledger_mem_type type, uint64_t buffer_id, uint64_t address) {
  if (MEMLEDGER_HOOKS_ON()) memledger_record_free(device, type, buffer_id, address);
}
static inline void memledger_cb_alloc(uint32_t device, uint64_t cb_id, uint64_t address, uint64_t size) {
  if (MEMLEDGER_HOOKS_ON()) memledger_record_cb_alloc(device, cb_id, address, size);
}
static inline void memledger_cb_free(uint32_t device, uint64_t cb_id, uint64_t address) {
  if (MEMLEDGER_HOOKS_ON()) memledger_record_cb_free(device, cb_id, address);
}
static inline void memledger_kernel_load(uint32_t device, uint64_t kernel_id, uint64_t address, uint64_t size) {
  if (MEMLEDGER_HOOKS_ON()) memledger_record_kernel_load(device, kernel_id, address, size);
}
static inline void memledger_alloc_failed(uint32_t device, memledger_mem_type type, uint64_t size, uint64_t extent) {
  if (MEMLEDGER_HOOKS_ON()) memledger_record_alloc_failed(device, type, size, extent);
}
static inline void memledger_kernel_unload(uint32_t device, uint64_t kernel_id, uint64_t address) {
  if (MEMLEDGER_HOOKS_ON()) memledger_record_kernel_unload(device, kernel_id, address);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MEMLEDGER_MEMLEDGER_H */
