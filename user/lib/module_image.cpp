#include <fmt/format.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "rcu_unload/module_elf.hpp"
#include "rcu_unload/text.hpp"

namespace rcu_unload {

namespace {

// Far above any module: a bound on what a corrupt or hostile file may unpack to.
constexpr std::size_t kMaxImage = std::size_t{1} << 30;
constexpr std::size_t kChunk = std::size_t{1} << 20;

Result<std::string> unxz(const std::string& in) {
  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&stream, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) return error("liblzma: no decoder");
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> end(&stream, lzma_end);
  std::string out;
  stream.next_in = reinterpret_cast<const std::uint8_t*>(in.data());
  stream.avail_in = in.size();
  for (lzma_action action = LZMA_RUN;;) {
    if (out.size() >= kMaxImage) return error("xz: more than 1 GiB unpacked");
    const std::size_t had = out.size();
    out.resize(had + kChunk);
    stream.next_out = reinterpret_cast<std::uint8_t*>(out.data() + had);
    stream.avail_out = kChunk;
    if (stream.avail_in == 0) action = LZMA_FINISH;
    const lzma_ret rc = lzma_code(&stream, action);
    out.resize(had + kChunk - stream.avail_out);
    if (rc == LZMA_STREAM_END) return out;
    if (rc != LZMA_OK) return error(fmt::format("xz: corrupt or truncated (liblzma error {})", static_cast<int>(rc)));
  }
}

Result<std::string> unzstd(const std::string& in) {
  std::unique_ptr<ZSTD_DStream, std::size_t (*)(ZSTD_DStream*)> stream(ZSTD_createDStream(), ZSTD_freeDStream);
  if (!stream) return error("libzstd: no decoder");
  std::string out;
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  for (;;) {
    if (out.size() >= kMaxImage) return error("zstd: more than 1 GiB unpacked");
    const std::size_t had = out.size();
    out.resize(had + kChunk);
    ZSTD_outBuffer output{out.data() + had, kChunk, 0};
    const std::size_t left = ZSTD_decompressStream(stream.get(), &output, &input);
    out.resize(had + output.pos);
    if (ZSTD_isError(left)) return error(fmt::format("zstd: {}", ZSTD_getErrorName(left)));
    const bool input_done = input.pos == input.size;
    if (input_done && left == 0) return out;
    // Neither more input nor a full output buffer to drain: the frame stops short.
    if (input_done && output.pos < kChunk) return error("zstd: truncated");
  }
}

Result<std::string> gunzip(const std::string& in) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return error("zlib: no decoder");
  std::unique_ptr<z_stream, int (*)(z_stream*)> end(&stream, inflateEnd);
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    if (out.size() >= kMaxImage) return error("gzip: more than 1 GiB unpacked");
    const std::size_t had = out.size();
    out.resize(had + kChunk);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + had);
    stream.avail_out = static_cast<uInt>(kChunk);
    const int rc = inflate(&stream, Z_NO_FLUSH);
    out.resize(had + kChunk - stream.avail_out);
    if (rc == Z_STREAM_END) return out;
    if (rc != Z_OK) return error(fmt::format("gzip: corrupt or truncated (zlib error {})", rc));
  }
}

Result<std::string> as_is(const std::string& in) { return in; }

// The module file names the kernel's tools know, each with how to unpack it; the compressed ones
// first, since they end in ".ko" + more.
struct ModuleFormat {
  std::string_view suffix;
  Result<std::string> (*unpack)(const std::string&);
};
constexpr ModuleFormat kModuleFormats[] = {
    {".ko.xz", unxz}, {".ko.zst", unzstd}, {".ko.gz", gunzip}, {".ko", as_is}};

const ModuleFormat* format_of(std::string_view filename) {
  for (const auto& format : kModuleFormats)
    if (ends_with(filename, format.suffix)) return &format;
  return nullptr;
}

}  // namespace

std::optional<std::string_view> module_file_suffix(std::string_view filename) {
  if (const auto* format = format_of(filename)) return format->suffix;
  return std::nullopt;
}

Result<std::string> read_module_image(const std::string& path) {
  auto read = read_text_file(path);  // binary-safe: no newline translation on Linux
  if (!read) return error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  const auto* format = format_of(path);
  return format ? format->unpack(*read) : *read;
}

}  // namespace rcu_unload
