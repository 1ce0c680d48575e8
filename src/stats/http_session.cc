#include "stats/http_session.h"

#include "net/loop.h"

namespace shardis::stats {

HttpSession::HttpSession(net::Loop& loop, HttpSessionOwner& owner, const HttpHandler& handler)
    : owner_(owner), handler_(handler) {
  stream_ = net::Stream::create(loop, net::Stream::Kind::kTcp, this);
  idle_timer_ = net::Timer::create(loop, [this] { finish(false); });
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &HttpSession::onMessageBegin;
  settings_.on_url = &HttpSession::onUrl;
  settings_.on_headers_complete = &HttpSession::onHeadersComplete;
  settings_.on_message_complete = &HttpSession::onMessageComplete;
}

HttpSession::~HttpSession() = default;

void HttpSession::start() {
  idle_timer_->start(kIdleTimeoutMs);
  if (stream_->startReading() != 0) finish(false);
}

void HttpSession::close() {
  finished_ = true;
  stream_.reset();
  idle_timer_.reset();
}

uv_buf_t HttpSession::readBuffer(size_t /*suggested*/) {
  return uv_buf_init(buffer_.data(), static_cast<unsigned>(buffer_.size()));
}

void HttpSession::onRead(size_t nread) {
  idle_timer_->start(kIdleTimeoutMs);
  feed(buffer_.data(), nread);
}

void HttpSession::onStreamEnd(int /*status*/) { finish(false); }

void HttpSession::onDrained() {
  if (finished_ || !holding_) return;
  holding_ = false;
  idle_timer_->start(kIdleTimeoutMs);  // the client is reading: not idle
  feed(held_data_, held_length_);
  if (!finished_ && !holding_ && stream_->startReading() != 0) finish(false);
}

void HttpSession::holdInput(const char* data, size_t length) {
  holding_ = true;
  held_data_ = data;
  held_length_ = length;
  stream_->stopReading();
  stream_->notifyWhenDrained();
}

int HttpSession::onMessageBegin(http_parser* parser) {
  auto* self = static_cast<HttpSession*>(parser->data);
  self->url_.clear();
  self->headers_done_ = false;
  return 0;
}

int HttpSession::onUrl(http_parser* parser, const char* at, size_t length) {
  static_cast<HttpSession*>(parser->data)->url_.append(at, length);
  return 0;
}

int HttpSession::onHeadersComplete(http_parser* parser) {
  static_cast<HttpSession*>(parser->data)->headers_done_ = true;
  return 0;
}

int HttpSession::onMessageComplete(http_parser* parser) {
  // Stop the parser here so that the request is answered before the next one is read.
  static_cast<HttpSession*>(parser->data)->message_done_ = true;
  http_parser_pause(parser, 1);
  return 0;
}

void HttpSession::feed(const char* data, size_t length) {
  while (length > 0 && !finished_) {
    // Answers the client has not taken yet: read and answer no more until they drain.
    if (stream_->pendingBytes() > kMaxOutputBytes) return holdInput(data, length);
    // Headers complete before this chunk: the body is what is too large.
    bool in_body = headers_done_;
    size_t parsed = http_parser_execute(&parser_, &settings_, data, length);
    request_bytes_ += parsed;
    data += parsed;
    length -= parsed;
    if (request_bytes_ > kMaxRequestBytes) return fail(in_body ? 413 : 431);
    if (message_done_) {
      message_done_ = false;
      request_bytes_ = 0;
      http_parser_pause(&parser_, 0);
      answer();
      continue;
    }
    if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || parser_.upgrade != 0) return fail(400);
    if (parsed == 0) return fail(400);
  }
}

void HttpSession::answer() {
  bool keep_alive = http_should_keep_alive(&parser_) != 0 && parser_.upgrade == 0;
  auto method = static_cast<http_method>(parser_.method);
  std::string_view path = url_;
  path = path.substr(0, path.find('?'));
  reply(handler_(parser_.method, path), method == HTTP_HEAD, keep_alive);
}

void HttpSession::reply(const HttpResponse& response, bool head, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " ";
  out.append(reason(response.status));
  out += "\r\nContent-Type: " + response.content_type;
  out += "\r\nContent-Length: " + std::to_string(response.body.size());
  if (response.status == 405) out += "\r\nAllow: " + response.allow;
  out += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  if (!head) out += response.body;
  stream_->write(std::move(out));
  if (!keep_alive) finish(true);
}

void HttpSession::fail(int status) {
  HttpResponse response;
  response.status = status;
  response.body = std::string(reason(status)) + "\n";
  reply(response, false, false);
}

void HttpSession::finish(bool flush) {
  if (finished_) return;
  finished_ = true;
  idle_timer_.reset();
  if (flush) {
    // The stream frees itself once the reply is written; drop our pointer without closing.
    stream_->closeAfterWrites();
    static_cast<void>(stream_.release());
  } else {
    stream_.reset();
  }
  owner_.release(this);
}

std::string_view HttpSession::reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace shardis::stats
