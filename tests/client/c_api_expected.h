/* c_api_expected.h — what c_api_test.c records, as numbers both it and
 * c_api_capture_test.cc use: the C program makes exactly these calls, and the
 * replay of its capture must show exactly these books. C and C++. */
#ifndef MEMLEDGER_TESTS_CLIENT_C_API_EXPECTED_H
#define MEMLEDGER_TESTS_CLIENT_C_API_EXPECTED_H

/* Worker threads, each allocating and freeing this many DRAM buffers on device 0. */
#define C_API_THREADS 4
#define C_API_ALLOCS_PER_THREAD 1000
#define C_API_THREAD_BUFFER_BYTES 256

/* Pools: "kv_cache", "scratch", then "pool_18" .. "pool_63": every id 16..63. */
#define C_API_POOLS 48
#define C_API_KV_CACHE_POOL 16
#define C_API_SCRATCH_POOL 17

/* Device 0 "sim0" (capacities below), device 1 "sim1" (none; closed at the end),
 * device 2 "sim2" with a uid and address spaces (DRAM flat, L1 over 2 banks,
 * CB within L1), device 3 "sim3" (DRAM only) with a uid beyond its
 * struct_size: none; device 4 "sim4" with a uid and address spaces beyond its
 * struct_size (an older header's, ending before address_spaces): no spaces. */
#define C_API_DEVICE2_UID "sim-uid-2"
#define C_API_DEVICE4_UID "sim-uid-4"
#define C_API_DEVICE2_SPACES 3
#define C_API_DEVICE2_DRAM_SPACE (1ULL << 20)
#define C_API_DEVICE2_L1_BANK (64ULL << 10)
#define C_API_DRAM_CAPACITY (1ULL << 30)
#define C_API_L1_CAPACITY (1ULL << 20)
#define C_API_KV_CACHE_CAPACITY (64ULL << 20)

/* Buffers of the main thread (device, type, id, address, size; fate):
 *   0 DRAM      1  0x1000   4096  tag "weights"    leaks
 *   0 DRAM      2  0x3000   8192  tag "weights"    freed, then freed again: double_free
 *   0 L1        3  0x100    1024  tag "inner"      freed
 *   0 kv_cache  4  0x10000  1000                   leaks
 *   0 CB        1, 2                               allocated and freed
 *   0 KERNEL    1, 2                               loaded and unloaded
 *   1 L1        5  0x100    64                     leaks when device 1 closes
 *   0 DRAM      6  0x5000   128  (after the workers, whose "worker" tag must not stick) leaks
 * and a free of id 99 that was never allocated: unknown_free. */
#define C_API_WEIGHTS_BYTES 4096ULL
#define C_API_KV_CACHE_BYTES 1000ULL
#define C_API_DEVICE1_L1_BYTES 64ULL
#define C_API_UNTAGGED_DRAM_BYTES 128ULL
#define C_API_LEAKED_BUFFERS 4
#define C_API_LEAKED_BYTES \
  (C_API_WEIGHTS_BYTES + C_API_KV_CACHE_BYTES + C_API_DEVICE1_L1_BYTES + C_API_UNTAGGED_DRAM_BYTES)
#define C_API_DRAM_PEAK_BYTES (4096ULL + 8192ULL) /* ids 1 and 2 together; the workers stay below */

/* Failed allocations (memledger_alloc_failed, memledger_record_alloc_failed):
 *   2 DRAM  2 MiB, no extent: more than its 1 MiB space       exhausted
 *   0 L1    4096, extent 8192, tag "weights": no space declared,
 *           enough free by the books                          no_address_space */
#define C_API_FAILED_DRAM_BYTES (2ULL << 20)
#define C_API_FAILED_L1_BYTES 4096ULL
#define C_API_FAILED_L1_EXTENT 8192ULL
#define C_API_ALLOC_FAILED_HOOKS 2

/* Every record the capture holds, one per call that records something. */
#define C_API_MAIN_ALLOC_HOOKS 6 /* ids 1, 2, 3, 4, 5, 6 */
#define C_API_MAIN_FREE_HOOKS 4  /* ids 2, 3, 99, 2 */
#define C_API_CB_KERNEL_HOOKS 8  /* 2 cb_alloc, 2 cb_free, 2 kernel_load, 2 kernel_unload */
/* Plus one MODULE record per object mapped in the process, sent when
 * memledger_set_stack_depth first turns stacks on (their number depends on
 * the machine: the capture test counts them itself). */
#define C_API_RECORDS                                                                                     \
  (1 /* process */ + C_API_POOLS + 5 /* device opens */ + 3 /* tags */ + C_API_MAIN_ALLOC_HOOKS +          \
   C_API_MAIN_FREE_HOOKS + C_API_CB_KERNEL_HOOKS + C_API_ALLOC_FAILED_HOOKS + 1 /* mark */ +              \
   1 /* device close */ +                                                                                 \
   2 * C_API_THREADS * C_API_ALLOCS_PER_THREAD + 1 /* process end */)

#endif /* MEMLEDGER_TESTS_CLIENT_C_API_EXPECTED_H */
