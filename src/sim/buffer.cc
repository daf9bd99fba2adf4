// buffer.cc — Buffer's ownership transitions.
#include "sim/buffer.h"

#include <utility>

namespace memledger::sim {

std::optional<Buffer> Buffer::Allocate(Device& device, MemType type, std::uint64_t size, std::uint64_t page_size,
                                       OnFailure on_failure) {
  const std::optional<Allocation> allocation =
      device.Allocate(type, AllocationKind::kBuffer, size, page_size, on_failure);
  if (!allocation) return std::nullopt;
  return Buffer(device, *allocation, page_size);
}

Buffer::Buffer(Device& device, const Allocation& allocation, std::uint64_t page_size)
    : device_(&device), allocation_(allocation), page_size_(page_size) {}

Buffer::Buffer(Buffer&& other) noexcept
    : device_(std::exchange(other.device_, nullptr)), allocation_(other.allocation_), page_size_(other.page_size_) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    Deallocate();
    device_ = std::exchange(other.device_, nullptr);
    allocation_ = other.allocation_;
    page_size_ = other.page_size_;
  }
  return *this;
}

Buffer::~Buffer() { Deallocate(); }

void Buffer::Deallocate() {
  if (device_ == nullptr) return;
  std::exchange(device_, nullptr)->Release(allocation_);
}

void Buffer::Leak() { device_ = nullptr; }

PageLocation Buffer::page_location(std::uint64_t page) const {
  return LocatePage(device_->allocator(allocation_.type)->region(), allocation_.address, page_size_, page);
}

}  // namespace memledger::sim
