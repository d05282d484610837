#include "server/tcp_session.hpp"

#include <boost/asio/write.hpp>
#include <chrono>

#include "server/query_log.hpp"

#include "common/log.hpp"
#include "dns/message.hpp"

namespace beacon::server {
namespace {
constexpr std::size_t read_chunk = 4096;
// A client that pipelines queries but does not read answers stops being read from here.
constexpr std::size_t max_queued_output = 4 * beacon::dns::limits::max_message;
}

TcpSession::TcpSession(boost::asio::ip::tcp::socket socket, boost::asio::ip::address client, ThreadContext& context)
    : socket_(std::move(socket)), idle_timer_(socket_.get_executor()), context_(context), client_(client) {
  input_.reserve(read_chunk);
}

TcpSession::~TcpSession() { context_.tcp_limits.release(client_); }

void TcpSession::start() {
  arm_idle_timer();
  do_read();
}

void TcpSession::drain() {
  if (write_in_progress_) {
    closing_ = true;  // on_write closes
  } else {
    close();
  }
}

void TcpSession::arm_idle_timer() {
  idle_timer_.expires_after(context_.options.tcp_idle_timeout);
  idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->close();  // idle, or stalled mid-message: free the slot for someone else
  });
}

void TcpSession::do_read() {
  read_in_progress_ = true;
  const std::size_t used = input_.size();
  input_.resize(used + read_chunk);
  socket_.async_read_some(boost::asio::buffer(input_.data() + used, read_chunk),
                          [self = shared_from_this(), used](const boost::system::error_code& ec, std::size_t n) {
                            self->read_in_progress_ = false;
                            self->input_.resize(used + n);
                            self->on_read(ec, n);
                          });
}

void TcpSession::on_read(const boost::system::error_code& ec, std::size_t) {
  if (ec) {
    // EOF after the last answer is the normal end of a session; anything pending still goes out.
    if (!write_in_progress_) close();
    else closing_ = true;
    return;
  }
  // The timer restarts only when a whole query was answered: a client trickling one byte at
  // a time, never completing a message, is still closed after the idle timeout.
  if (answer_complete_messages() > 0) arm_idle_timer();
  if (closing_) return;
  if (!write_in_progress_ && !output_.empty()) do_write();
  // Pipelining: keep reading while answers are being written, up to the in-flight bounds.
  if (may_read()) do_read();
}

bool TcpSession::may_read() const {
  return answers_waiting_ + answers_writing_ < context_.options.tcp_max_in_flight && output_.size() < max_queued_output;
}

std::size_t TcpSession::answer_complete_messages() {
  std::size_t pos = 0;
  std::size_t answered = 0;
  const zone::Snapshot& snapshot = context_.snapshots.load();
  while (input_.size() - pos >= 2 && answers_waiting_ + answers_writing_ < context_.options.tcp_max_in_flight) {
    const std::size_t length = dns::read_u16(input_.data() + pos);
    if (input_.size() - pos - 2 < length) break;  // partial message: wait for the rest
    const auto started = std::chrono::steady_clock::now();
    const std::size_t response = context_.responder.respond(
        snapshot, {input_.data() + pos + 2, length}, answer::Transport::tcp, context_.tcp_scratch);
    context_.latency[1].record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count()));
    if (context_.options.log_queries) log_query(context_.responder, client_.to_string(), "tcp", response);
    pos += 2 + length;
    ++answered;
    if (response == 0) continue;
    ++answers_waiting_;
    const std::size_t at = output_.size();
    output_.resize(at + 2 + response);
    dns::write_u16(output_.data() + at, static_cast<std::uint16_t>(response));
    std::copy_n(context_.tcp_scratch.data(), response, output_.data() + at + 2);
  }
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(pos));
  return answered;
}

void TcpSession::do_write() {
  writing_.swap(output_);
  output_.clear();
  answers_writing_ = answers_waiting_;
  answers_waiting_ = 0;
  write_in_progress_ = true;
  boost::asio::async_write(socket_, boost::asio::buffer(writing_),
                           [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                             self->on_write(ec);
                           });
}

void TcpSession::on_write(const boost::system::error_code& ec) {
  write_in_progress_ = false;
  if (ec) {
    close();
    return;
  }
  answers_writing_ = 0;
  // Queries held back by the in-flight limit are answered now that the client has read. (While
  // a read is in progress nothing is held back, and input_ belongs to that read.)
  if (!read_in_progress_ && answer_complete_messages() > 0) arm_idle_timer();
  if (!output_.empty()) {
    do_write();
    return;
  }
  if (closing_ || context_.stopping) close();
  else if (!read_in_progress_) do_read();  // reading paused while too much output was queued
}

void TcpSession::close() {
  closing_ = true;
  boost::system::error_code ignored;
  idle_timer_.cancel();
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace beacon::server
