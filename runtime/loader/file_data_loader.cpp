// FileDataLoader: mmap with a read() fallback.
#include "runtime/loader/file_data_loader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ember {

Result<FileDataLoader> FileDataLoader::open(const char* path, bool prefer_read) {
  EMBER_CHECK(path != nullptr, Error::InvalidArgument, "null path");
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  EMBER_CHECK(fd >= 0, Error::AccessFailed, "cannot open %s: %s", path, std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    EMBER_LOG(Error, "%s is not a readable regular file", path);
    return Error::AccessFailed;
  }
  FileDataLoader loader;
  loader.size_ = static_cast<size_t>(st.st_size);
  if (loader.size_ == 0) {
    ::close(fd);
    loader.mode_ = Mode::Read;
    return loader;
  }
  if (!prefer_read) {
    void* map = ::mmap(nullptr, loader.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      ::close(fd);
      loader.data_ = static_cast<const uint8_t*>(map);
      loader.mode_ = Mode::Mmap;
      return loader;
    }
  }
  // Fallback: read everything into an aligned heap buffer.
  void* buf = nullptr;
  const size_t rounded = (loader.size_ + 15) & ~size_t{15};
  if (::posix_memalign(&buf, 64, rounded) != 0) {
    ::close(fd);
    EMBER_LOG(Error, "cannot allocate %zu bytes to read %s", loader.size_, path);
    return Error::MemoryAllocationFailed;
  }
  size_t done = 0;
  while (done < loader.size_) {
    const ssize_t got = ::read(fd, static_cast<uint8_t*>(buf) + done, loader.size_ - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      ::close(fd);
      std::free(buf);
      EMBER_LOG(Error, "short read of %s at byte %zu", path, done);
      return Error::AccessFailed;
    }
    done += static_cast<size_t>(got);
  }
  ::close(fd);
  loader.data_ = static_cast<const uint8_t*>(buf);
  loader.mode_ = Mode::Read;
  return loader;
}

FileDataLoader::FileDataLoader(FileDataLoader&& other)
    : data_(other.data_), size_(other.size_), mode_(other.mode_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

FileDataLoader& FileDataLoader::operator=(FileDataLoader&& other) {
  if (this != &other) {
    release();
    data_ = other.data_;
    size_ = other.size_;
    mode_ = other.mode_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

FileDataLoader::~FileDataLoader() { release(); }

void FileDataLoader::release() {
  if (data_ == nullptr) return;
  if (mode_ == Mode::Mmap) {
    ::munmap(const_cast<uint8_t*>(data_), size_);
  } else {
    std::free(const_cast<uint8_t*>(data_));
  }
  data_ = nullptr;
}

Result<Span<const uint8_t>> FileDataLoader::load(size_t offset, size_t size) {
  EMBER_CHECK(offset <= size_ && size <= size_ - offset, Error::InvalidArgument,
              "load of %zu bytes at offset %zu is outside the %zu-byte file", size, offset, size_);
  return Span<const uint8_t>(data_ + offset, size);
}

void FileDataLoader::release(Span<const uint8_t> bytes) {
  if (mode_ != Mode::Mmap || bytes.empty() || bytes.data() < data_ ||
      bytes.data() + bytes.size() > data_ + size_) {
    return;
  }
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (page_size <= 0) return;
  const uintptr_t page = static_cast<uintptr_t>(page_size);
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(bytes.data()) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(bytes.data()) + bytes.size()) / page * page;
  // A private read-only file mapping: dropped pages come back from the file.
  if (begin < end) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace ember
