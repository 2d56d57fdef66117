// PNG (libpng) and JPEG (libjpeg-turbo) encoding of RGB8 images, and writing them to files atomically. Both libraries
// report errors by longjmp; as in the decoders, everything touched after setjmp lives in a heap-allocated state.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "edgerun/vision.h"

namespace edgerun::vision {
namespace {

// The encoders read width * height * 3 bytes; anything else would read out of bounds.
Status check_encodable(const Image& image, const char* what) {
  if (image.width <= 0 || image.height <= 0)
    return invalid_argument(what, ": invalid image size ", image.width, "x", image.height);
  if (image.channels != 3) return invalid_argument(what, ": expected an RGB image (3 channels), got ", image.channels);
  size_t want = static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3;
  if (image.pixels.size() != want)
    return invalid_argument(what, ": ", image.width, "x", image.height, " RGB image holds ", image.pixels.size(),
                            " bytes, expected ", want);
  return Status();
}

// ---- PNG ----

struct PngWriteState {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::string message;
  std::vector<uint8_t> out;
  std::vector<png_bytep> rows;  // [height] pointers into the image
};

void on_png_error(png_structp png, png_const_charp msg) {
  auto* state = static_cast<PngWriteState*>(png_get_error_ptr(png));
  state->message = msg ? msg : "unknown libpng error";
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}  // nothing we write can be improved by hearing about it

void on_png_write(png_structp png, png_bytep data, png_size_t n) {
  auto* state = static_cast<PngWriteState*>(png_get_io_ptr(png));
  state->out.insert(state->out.end(), data, data + n);
}

void on_png_flush(png_structp) {}

// ---- JPEG ----

struct JpegWriteState {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  jpeg_destination_mgr dest{};
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {0};
  bool created = false;
  std::vector<uint8_t> out;
  size_t chunk = 64 * 1024;  // bytes added to `out` each time libjpeg fills it
};

void on_jpeg_error_exit(j_common_ptr cinfo) {
  auto* state = static_cast<JpegWriteState*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, state->message);
  std::longjmp(state->jump, 1);
}

void on_jpeg_emit_message(j_common_ptr, int) {}

// libjpeg writes into [next_output_byte, +free_in_buffer); `out` grows by a chunk whenever that window is full and
// is trimmed to what was written at the end.
void jpeg_dest_init(j_compress_ptr cinfo) {
  auto* state = static_cast<JpegWriteState*>(cinfo->client_data);
  state->out.resize(state->chunk);
  cinfo->dest->next_output_byte = state->out.data();
  cinfo->dest->free_in_buffer = state->out.size();
}

boolean jpeg_dest_empty(j_compress_ptr cinfo) {
  auto* state = static_cast<JpegWriteState*>(cinfo->client_data);
  // Called only when the window is full, i.e. all of `out` holds data.
  size_t used = state->out.size();
  state->out.resize(used + state->chunk);
  cinfo->dest->next_output_byte = state->out.data() + used;
  cinfo->dest->free_in_buffer = state->chunk;
  return TRUE;
}

void jpeg_dest_term(j_compress_ptr cinfo) {
  auto* state = static_cast<JpegWriteState*>(cinfo->client_data);
  state->out.resize(state->out.size() - cinfo->dest->free_in_buffer);
}

// ---- Files ----

std::string lower_extension(const std::string& path) {
  size_t slash = path.find_last_of('/');
  size_t name_start = slash == std::string::npos ? 0 : slash + 1;
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || dot < name_start || dot + 1 == path.size()) return "";
  std::string ext = path.substr(dot);
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return ext;
}

Status write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status(StatusCode::kIoError, std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status();
}

}  // namespace

Expected<std::vector<uint8_t>> encode_png(const Image& image) {
  ER_RETURN_IF_ERROR(check_encodable(image, "encode_png"));
  auto state = std::make_unique<PngWriteState>();
  PngWriteState* s = state.get();
  s->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, s, on_png_error, on_png_warning);
  if (!s->png) return internal_error("libpng: cannot create write struct");
  s->info = png_create_info_struct(s->png);
  if (!s->info) {
    png_destroy_write_struct(&s->png, nullptr);
    return internal_error("libpng: cannot create info struct");
  }
  if (setjmp(png_jmpbuf(s->png))) {
    png_destroy_write_struct(&s->png, &s->info);
    return invalid_argument("encode_png: ", s->message);
  }
  png_set_write_fn(s->png, s, on_png_write, on_png_flush);
  // Level 6 is zlib's default balance; annotated snapshots are written often, so no slower level.
  png_set_compression_level(s->png, 6);
  png_set_IHDR(s->png, s->info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(s->png, s->info);
  s->rows.resize(static_cast<size_t>(image.height));
  // libpng takes non-const rows but only reads them when writing.
  for (int y = 0; y < image.height; ++y) s->rows[static_cast<size_t>(y)] = const_cast<png_bytep>(image.row(y));
  png_write_image(s->png, s->rows.data());
  png_write_end(s->png, nullptr);
  png_destroy_write_struct(&s->png, &s->info);
  return std::move(s->out);
}

Expected<std::vector<uint8_t>> encode_jpeg(const Image& image, int quality) {
  ER_RETURN_IF_ERROR(check_encodable(image, "encode_jpeg"));
  if (quality < 1 || quality > 100) return invalid_argument("encode_jpeg: quality must be 1..100, got ", quality);
  auto state = std::make_unique<JpegWriteState>();
  JpegWriteState* s = state.get();
  s->cinfo.err = jpeg_std_error(&s->err);
  s->err.error_exit = on_jpeg_error_exit;
  s->err.emit_message = on_jpeg_emit_message;
  s->cinfo.client_data = s;
  if (setjmp(s->jump)) {
    if (s->created) jpeg_destroy_compress(&s->cinfo);
    return invalid_argument("encode_jpeg: ", s->message);
  }
  jpeg_create_compress(&s->cinfo);
  s->created = true;
  s->dest.init_destination = jpeg_dest_init;
  s->dest.empty_output_buffer = jpeg_dest_empty;
  s->dest.term_destination = jpeg_dest_term;
  s->cinfo.dest = &s->dest;
  s->cinfo.image_width = static_cast<JDIMENSION>(image.width);
  s->cinfo.image_height = static_cast<JDIMENSION>(image.height);
  s->cinfo.input_components = 3;
  s->cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&s->cinfo);
  jpeg_set_quality(&s->cinfo, quality, TRUE);
  // Above 90 the default 4:2:0 chroma subsampling becomes the largest error (thin coloured box outlines and caption
  // text bleed), so a caller asking for that much quality gets full chroma resolution.
  if (quality > 90) {
    for (int c = 0; c < s->cinfo.num_components; ++c) {
      s->cinfo.comp_info[c].h_samp_factor = 1;
      s->cinfo.comp_info[c].v_samp_factor = 1;
    }
  }
  jpeg_start_compress(&s->cinfo, TRUE);
  while (s->cinfo.next_scanline < s->cinfo.image_height) {
    // libjpeg takes non-const rows but only reads them.
    JSAMPROW row = const_cast<JSAMPROW>(image.row(static_cast<int>(s->cinfo.next_scanline)));
    jpeg_write_scanlines(&s->cinfo, &row, 1);
  }
  jpeg_finish_compress(&s->cinfo);
  jpeg_destroy_compress(&s->cinfo);
  return std::move(s->out);
}

Status write_image_file(const std::string& path, const Image& image, int jpeg_quality) {
  if (path.empty()) return invalid_argument("write_image_file: empty path");
  std::string ext = lower_extension(path);
  bool png = ext == ".png";
  if (!png && ext != ".jpg" && ext != ".jpeg") {
    if (ext.empty()) return invalid_argument("cannot write '", path, "': no file extension (use .png, .jpg or .jpeg)");
    return invalid_argument("cannot write '", path, "': unknown image extension '", ext, "' (use .png, .jpg or .jpeg)");
  }
  Expected<std::vector<uint8_t>> bytes = png ? encode_png(image) : encode_jpeg(image, jpeg_quality);
  if (!bytes.ok()) return bytes.status().with_context(str_cat("writing '", path, "'"));

  // The temporary file sits next to the target so rename() stays within one file system and is atomic. It is
  // created with mode 0666 (less the umask), like a plain fopen would, so readers of the final file can open it;
  // the name is unique per process and call, and O_EXCL refuses to reuse a name left over from a crash. It starts
  // with a dot and ends in .tmp-<pid>-<n>, so a watcher of *.jpg in that folder never picks up a partial file; the
  // target's name is shortened in it so a long (valid) name can't push the temporary one past NAME_MAX.
  static std::atomic<unsigned> counter{0};
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = str_cat(dir, ".", name.substr(0, 200), ".tmp-", ::getpid(), "-", counter.fetch_add(1));
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    return io_error("cannot write '", path, "': cannot create temporary file '", tmp, "': ", std::strerror(errno));

  Status st = write_all(fd, bytes->data(), bytes->size());
  // close() can report a delayed write error (NFS, full disk), so it is checked too. No fsync: the rename already
  // guarantees readers see the old file or the whole new one, and snapshots are not worth a disk flush each.
  if (::close(fd) != 0 && st.ok()) st = Status(StatusCode::kIoError, std::strerror(errno));
  if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0)
    st = Status(StatusCode::kIoError, str_cat("cannot rename '", tmp, "' to it: ", std::strerror(errno)));
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return io_error("cannot write '", path, "': ", st.message());
  }
  return Status();
}

}  // namespace edgerun::vision
