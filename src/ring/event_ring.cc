// event_ring.cc — creating and attaching ring mappings; the producer's slow
// paths (see event_ring.h).
#include "ring/event_ring.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <cerrno>
#include <limits>
#include <cstddef>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#include "event/errno_kept.h"
#include "ring/futex.h"
#include "ring/ring_fault_guard.h"

namespace memledger {

constinit thread_local RingProducerCache tls_ring_producer_cache{0, 0, 0, 0, 0, 0, 0, 0, false};

namespace {
bool CpuHasPrefetchW() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 8)) != 0;
#else
  return false;
#endif
}

std::atomic<std::uint64_t> g_next_ring_id{1};
constexpr int kSpinsBeforeSleep = 2000;
constexpr std::size_t kPopulatedRingBytes = kRingHeaderBytes + (std::size_t{5} << 20);
constexpr std::size_t kPopulatedLaneBytes = std::size_t{1} << 20;
constexpr std::chrono::microseconds kSpaceWait{500};
// A thread that found every lane taken looks again after this many Puts.
constexpr std::uint32_t kPutsBeforeLookingAgain = 4096;

// The rings of this process by id, so that a thread that exits gives its lane
// back to a ring that still exists (a pthread key's destructor). Cold: rings
// are made and unmade, threads exit. Never freed: hooks may run while static
// objects are destroyed.
pthread_mutex_t g_rings_mutex = PTHREAD_MUTEX_INITIALIZER;
std::vector<std::pair<std::uint64_t, EventRing*>>* g_rings = nullptr;
pthread_key_t g_lane_key;
pthread_once_t g_lane_key_once = PTHREAD_ONCE_INIT;

// A lane as the key's value: its ring's id and its index (never null).
void* LaneKeyValue(std::uint64_t ring_id, std::uint32_t lane) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(ring_id * kRingLanes + lane + 1));
}

bool IsPowerOfTwo(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// One ring a sleep: the first producer to see the consumer asleep marks it
// awake and wakes it; the others see it awake and make no system call (when
// the consumer waits for a core after its wake-up, every record of a backed-up
// ring made one: 5 % of a busy program's time). A consumer that marked
// itself asleep after the doorbell's count was read finds it changed and
// does not sleep (RingConsumer::WaitForData). A ringer descheduled between
// its exchange and its wake leaves the consumer asleep until its timeout
// (1 ms for the process's own) — bounded, as a sleep without a ring is.
void RingDoorbell(RingHeader& header) {
  if (header.consumer_sleeping.load(std::memory_order_seq_cst) != 0 &&
      header.consumer_sleeping.exchange(0, std::memory_order_seq_cst) != 0) {
    header.doorbell.fetch_add(1, std::memory_order_seq_cst);
    FutexWakeAll(header.doorbell);
  }
}
}  // namespace

const bool g_cpu_has_prefetchw = CpuHasPrefetchW();

EventRing::EventRing(int fd, void* base, std::uint64_t capacity, std::uint64_t lane_capacity, OnFull policy,
                     int guard_entry)
    : fd_(fd),
      header_(static_cast<RingHeader*>(base)),
      lane_slots_(reinterpret_cast<RingSlot*>(static_cast<char*>(base) + kRingHeaderBytes)),
      slots_(lane_slots_ + kRingLanes * lane_capacity),
      capacity_(capacity),
      mask_(capacity - 1),
      lane_capacity_(lane_capacity),
      lane_mask_(lane_capacity - 1),
      policy_(policy),
      id_(g_next_ring_id.fetch_add(1, std::memory_order_relaxed)),
      guard_entry_(guard_entry) {
  pthread_mutex_lock(&g_rings_mutex);
  if (g_rings == nullptr) g_rings = new std::vector<std::pair<std::uint64_t, EventRing*>>();
  g_rings->emplace_back(id_, this);
  pthread_mutex_unlock(&g_rings_mutex);
}

EventRing::~EventRing() {
  pthread_mutex_lock(&g_rings_mutex);
  std::erase_if(*g_rings, [this](const auto& ring) { return ring.second == this; });
  pthread_mutex_unlock(&g_rings_mutex);
  UnregisterGuardedMapping(guard_entry_);
  munmap(header_, RingBytes(capacity_, lane_capacity_));
  close(fd_);
}

std::unique_ptr<EventRing> EventRing::Create(std::uint64_t capacity, OnFull policy, std::string* error) {
  if (!IsPowerOfTwo(capacity) || capacity < kMinRingSlots || capacity > kMaxRingSlots) {
    *error = "ring capacity must be a power of two between " + std::to_string(kMinRingSlots) + " and " +
             std::to_string(kMaxRingSlots) + " slots";
    return nullptr;
  }
  const std::uint64_t lane_capacity = DefaultLaneCapacity(capacity);
  const int fd = memfd_create("memledger-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    *error = std::string("memfd_create failed: ") + std::strerror(errno);
    return nullptr;
  }
  const std::size_t bytes = RingBytes(capacity, lane_capacity);
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    *error = std::string("sizing the ring failed: ") + std::strerror(errno);
    close(fd);
    return nullptr;
  }
  // The size is part of the contract with the consumer: seal it.
  fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    *error = std::string("mapping the ring failed: ") + std::strerror(errno);
    close(fd);
    return nullptr;
  }
  // Fault the ring's first kPopulatedRingBytes in now, once: a first touch
  // of each page while the program runs costs its hooks a page fault each
  // (microseconds in a VM). That is the lanes of a ring of the default size
  // and the first of its shared slots. Not more: a large ring's far pages are
  // touched only by a process that fills them, and a process need not pay
  // memory for them until then (a lane's pages come in when a thread first
  // takes it: TakeLane). Where it fails (kernels before 5.14 lack
  // MADV_POPULATE_WRITE) the ring faults in as it fills, as before.
  madvise(base, std::min(bytes, kPopulatedRingBytes), MADV_POPULATE_WRITE);
  auto* header = new (base) RingHeader{};
  header->magic = kRingMagic;
  header->layout_version = kRingLayoutVersion;
  header->slot_bytes = kSlotBytes;
  header->capacity = capacity;
  header->lane_capacity = lane_capacity;
  header->on_full = static_cast<std::uint32_t>(policy);
  header->producer_pid = static_cast<std::uint32_t>(getpid());
  header->head.store(1, std::memory_order_relaxed);
  header->tail.store(1, std::memory_order_relaxed);
  for (LaneTail& lane : header->lanes) lane.next.store(1, std::memory_order_relaxed);
  header->processed.store(1, std::memory_order_release);
  return std::unique_ptr<EventRing>(new EventRing(fd, base, capacity, lane_capacity, policy, -1));
}

std::unique_ptr<EventRing> EventRing::Attach(int fd, std::string* error) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    *error = std::string("cannot inspect the ring's shared memory: ") + std::strerror(errno);
    return nullptr;
  }
  // A size that could change would fault (SIGBUS) under our mapping: only a
  // memfd sealed against shrinking and growing is a ring.
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    *error = "not a memledger ring: its shared memory is not a memfd";
    return nullptr;
  }
  if ((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW)) {
    *error = "the ring's memfd is not sealed against resizing (F_SEAL_SHRINK and F_SEAL_GROW are required)";
    return nullptr;
  }
  if (st.st_size < static_cast<off_t>(kRingHeaderBytes)) {
    *error = "not a memledger ring: the shared memory is smaller than a ring header";
    return nullptr;
  }
  RingHeader copy;
  if (pread(fd, &copy, offsetof(RingHeader, head), 0) != static_cast<ssize_t>(offsetof(RingHeader, head))) {
    *error = "not a memledger ring: its header cannot be read";
    return nullptr;
  }
  if (copy.magic != kRingMagic) {
    *error = "not a memledger ring: bad magic";
    return nullptr;
  }
  if (copy.layout_version != kRingLayoutVersion || copy.slot_bytes != kSlotBytes) {
    *error = "ring layout version " + std::to_string(copy.layout_version) + " with " +
             std::to_string(copy.slot_bytes) + "-byte slots; this build reads version " +
             std::to_string(kRingLayoutVersion) + " with " + std::to_string(kSlotBytes) + "-byte slots";
    return nullptr;
  }
  if (!IsPowerOfTwo(copy.capacity) || copy.capacity < kMinRingSlots || copy.capacity > kMaxRingSlots ||
      !IsPowerOfTwo(copy.lane_capacity) || copy.lane_capacity < kMinLaneSlots ||
      copy.lane_capacity > DefaultLaneCapacity(copy.capacity) ||
      static_cast<std::uint64_t>(st.st_size) != RingBytes(copy.capacity, copy.lane_capacity) || copy.on_full > 1) {
    *error = "corrupt ring header: capacity, lanes or policy do not match the shared memory";
    return nullptr;
  }
  const int own_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own_fd < 0) {
    *error = std::string("dup of the ring fd failed: ") + std::strerror(errno);
    return nullptr;
  }
  const std::size_t bytes = RingBytes(copy.capacity, copy.lane_capacity);
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, own_fd, 0);
  if (base == MAP_FAILED) {
    *error = std::string("mapping the ring failed: ") + std::strerror(errno);
    close(own_fd);
    return nullptr;
  }
  const int guard_entry = RegisterGuardedMapping(base, bytes);
  return std::unique_ptr<EventRing>(new EventRing(own_fd, base, copy.capacity, copy.lane_capacity,
                                                  static_cast<OnFull>(copy.on_full), guard_entry));
}

void EventRing::CountDrop() { header_->dropped.fetch_add(1, std::memory_order_relaxed); }

bool EventRing::RoomFor(std::uint64_t end, std::uint64_t tail, std::uint64_t capacity, std::uint64_t& limit) {
  if (end > tail + capacity) {
    RingDoorbell(*header_);  // full: get the consumer going
    return false;
  }
  if (end <= tail + capacity / 2) {
    limit = tail + capacity / 2;
    return true;
  }
  RingDoorbell(*header_);  // backing up: get the consumer going
  limit = std::min(tail + capacity, end + capacity / 8);
  return true;
}

std::uint64_t EventRing::TryClaim(std::uint32_t n) {
  std::uint64_t head = header_->head.load(std::memory_order_relaxed);
  for (;;) {
    if (head + n > CachedLimit()) {
      // Acquire: pairs with the consumer's release store of tail.
      const std::uint64_t tail = TailSeq(header_->tail.load(std::memory_order_acquire));
      std::uint64_t limit = 0;
      if (!RoomFor(head + n, tail, capacity_, limit)) return 0;
      tls_ring_producer_cache.ring_id = id_;
      tls_ring_producer_cache.limit = limit;
    }
    // Only a claim that still starts at the head checked above may take the
    // slots: a fetch_add after the check could land past the free space.
    if (header_->head.compare_exchange_weak(head, head + n, std::memory_order_relaxed)) return head;
  }
}

std::uint64_t EventRing::ClaimWhenFullOrRaced(std::uint32_t n) {
  for (;;) {
    if (const std::uint64_t seq = TryClaim(n); seq != 0) return seq;
    if (policy_ == OnFull::kDrop) {
      CountDrop();
      return 0;
    }
    WaitForSpace(header_->head.load(std::memory_order_relaxed) + n);
  }
}

void EventRing::WaitForSpace(std::uint64_t end) {
  RingProducerCache& cache = tls_ring_producer_cache;
  // Acquire: pairs with the consumer's release store of tail, so the slots
  // below tail + capacity_ are free to overwrite.
  const auto tail = [this] { return TailSeq(header_->tail.load(std::memory_order_acquire)); };
  if (!RoomFor(end, tail(), capacity_, cache.limit)) {
    const ErrnoKept errno_kept;  // futex waits, the notifier's write
    space_waiters_.fetch_add(1, std::memory_order_acq_rel);
    for (int spins = 0; !RoomFor(end, tail(), capacity_, cache.limit); ++spins) {
      if (spins < kSpinsBeforeSleep) {
        __builtin_ia32_pause();
        continue;
      }
      if (spins == kSpinsBeforeSleep) {
        if (const int notifier = space_wait_notifier_.load(std::memory_order_acquire); notifier >= 0) {
          const std::uint64_t one = 1;
          [[maybe_unused]] const ssize_t n = write(notifier, &one, sizeof(one));
        }
      }
      header_->producers_waiting.fetch_add(1, std::memory_order_seq_cst);
      const std::uint32_t seen = header_->space_futex.load(std::memory_order_seq_cst);
      if (end > tail() + capacity_) FutexWait(header_->space_futex, seen, kSpaceWait);
      header_->producers_waiting.fetch_sub(1, std::memory_order_seq_cst);
    }
    space_waiters_.fetch_sub(1, std::memory_order_acq_rel);
  }
  cache.ring_id = id_;
}

bool EventRing::LaneHasSpace(RingProducerCache& cache, std::uint64_t position) {
  // Acquire: pairs with the consumer's release of the lane's tail, so the
  // lane's slots below tail + lane_capacity_ are free to overwrite.
  const std::uint64_t tail = header_->lanes[cache.lane].next.load(std::memory_order_acquire);
  return RoomFor(position + 1, tail, lane_capacity_, cache.lane_limit);
}

// --- lanes: which thread writes which ---

void EventRing::GiveBackLaneAtExit(void* value) {
  const auto key = reinterpret_cast<std::uintptr_t>(value) - 1;
  const std::uint64_t ring_id = key / kRingLanes;
  const auto lane = static_cast<std::uint32_t>(key % kRingLanes);
  // The key names the lane the cache holds (TakeLane sets both); were it
  // otherwise, the lane's next position would be unknown, and the lane stays
  // taken rather than be handed on with a wrong one. The thread lets go of
  // the lane before it goes back (a signal handler's hook in between goes
  // shared); hooks that run later in this exiting thread go shared and take
  // no lane: a lane taken now would never be given back.
  RingProducerCache& cache = tls_ring_producer_cache;
  if (cache.lane_ring != ring_id || cache.lane != lane) return;
  const std::uint64_t next = cache.lane_next;
  cache.lane_ring = 0;
  cache.no_lane_ring = ring_id;
  cache.puts_before_looking = std::numeric_limits<std::uint32_t>::max();
  std::atomic_signal_fence(std::memory_order_seq_cst);
  pthread_mutex_lock(&g_rings_mutex);
  for (const auto& [id, ring] : *g_rings) {
    if (id != ring_id) continue;
    ring->lanes_[lane].next = next;
    // Release: the next owner reads the lane's position after taking it.
    ring->lanes_[lane].owned.store(false, std::memory_order_release);
  }
  pthread_mutex_unlock(&g_rings_mutex);
}

bool EventRing::TakeLane(RingProducerCache& cache) {
  if (cache.no_lane_ring == id_ && cache.puts_before_looking-- != 0) return false;
  const ErrnoKept errno_kept;  // madvise, the thread's key
  pthread_once(&g_lane_key_once, [] { pthread_key_create(&g_lane_key, GiveBackLaneAtExit); });
  for (std::uint32_t l = 0; l < kRingLanes; ++l) {
    Lane& lane = lanes_[l];
    bool taken = false;
    // Acquire: pairs with the release that gave it back (its position).
    if (lane.owned.load(std::memory_order_relaxed) ||
        !lane.owned.compare_exchange_strong(taken, true, std::memory_order_acquire)) {
      continue;
    }
    // The thread's lane of another ring (a process has one; tests make more) goes back first.
    if (void* held = pthread_getspecific(g_lane_key); held != nullptr) GiveBackLaneAtExit(held);
    if (!lane.populated) {
      // Its pages in now (its first kPopulatedLaneBytes), once, not one fault
      // per page in the hooks (see Create).
      madvise(&lane_slot_at(l, 0), std::min(lane_capacity_ * kSlotBytes, kPopulatedLaneBytes), MADV_POPULATE_WRITE);
      lane.populated = true;
    }
    cache.lane_ring = id_;
    cache.lane = l;
    cache.lane_next = lane.next;
    cache.lane_limit = 0;
    cache.no_lane_ring = 0;
    pthread_setspecific(g_lane_key, LaneKeyValue(id_, l));
    return true;
  }
  cache.no_lane_ring = id_;
  cache.puts_before_looking = kPutsBeforeLookingAgain;
  return false;
}

std::uint64_t EventRing::PutElsewhere(const Event& event) {
  RingProducerCache& cache = tls_ring_producer_cache;
  if (!cache.in_put) {
    // A signal handler's hook while the lane is taken goes shared too: the
    // cache is half written, and TakeLane is not reentrant.
    cache.in_put = true;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    const bool taken = TakeLane(cache);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    cache.in_put = false;
    if (taken) return Put(event);
  }
  return PutShared(event);
}

}  // namespace memledger
