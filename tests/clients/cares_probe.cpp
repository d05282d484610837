// cares_probe: resolves one name through Debian's libc-ares, the way an application using
// c-ares would, and prints what it got in a stable, line-oriented format for the tests.
//
//   cares_probe [--tcp] [--edns SIZE] [--timeout-ms N] SERVER:PORT NAME TYPE
//
// TYPE is A, AAAA, SRV or TXT. The query goes to SERVER:PORT only (ares_set_servers_ports_csv),
// without search domains. Without --edns no OPT is sent, so UDP answers are limited to 512
// bytes and a truncated (TC=1) answer makes c-ares retry over TCP by itself.
//
// Output, one record per line, in answer order:
//   A 192.0.2.1
//   AAAA 2001:db8::1
//   SRV <priority> <weight> <port> <target>
//   TXT <string>                  (one line per character-string; "--" between TXT records)
// and for SRV, after the SRV lines, the targets resolved by separate A and AAAA queries:
//   TARGET <target> A <address>   /   TARGET <target> AAAA <address>
// Exit 0 on success. On failure: "ERROR <c-ares error name> <message>" on stderr and exit 2
// (ENOTFOUND for NXDOMAIN, ENODATA for an empty answer). A target that does not resolve to
// any address is reported as "ERROR TARGET <target> <name>" and also exits 2. Bad usage: 64.

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <sys/select.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char* error_name(int status) {
  switch (status) {
    case ARES_SUCCESS: return "SUCCESS";
    case ARES_ENODATA: return "ENODATA";
    case ARES_EFORMERR: return "EFORMERR";
    case ARES_ESERVFAIL: return "ESERVFAIL";
    case ARES_ENOTFOUND: return "ENOTFOUND";
    case ARES_ENOTIMP: return "ENOTIMP";
    case ARES_EREFUSED: return "EREFUSED";
    case ARES_EBADQUERY: return "EBADQUERY";
    case ARES_EBADNAME: return "EBADNAME";
    case ARES_EBADFAMILY: return "EBADFAMILY";
    case ARES_EBADRESP: return "EBADRESP";
    case ARES_ECONNREFUSED: return "ECONNREFUSED";
    case ARES_ETIMEOUT: return "ETIMEOUT";
    case ARES_EOF: return "EOF";
    case ARES_EFILE: return "EFILE";
    case ARES_ENOMEM: return "ENOMEM";
    case ARES_EDESTRUCTION: return "EDESTRUCTION";
    case ARES_EBADSTR: return "EBADSTR";
    case ARES_EBADFLAGS: return "EBADFLAGS";
    case ARES_ENONAME: return "ENONAME";
    case ARES_EBADHINTS: return "EBADHINTS";
    case ARES_ENOTINITIALIZED: return "ENOTINITIALIZED";
    case ARES_ECANCELLED: return "ECANCELLED";
    default: return "EUNKNOWN";
  }
}

// The outcome of one ares_query: status and the raw answer bytes.
struct Reply {
  bool done = false;
  int status = ARES_ENOTINITIALIZED;
  std::vector<unsigned char> bytes;
};

void on_reply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* reply = static_cast<Reply*>(arg);
  reply->done = true;
  reply->status = status;
  if (abuf != nullptr && alen > 0) reply->bytes.assign(abuf, abuf + alen);
}

// Runs the channel's event loop until every query in flight has completed.
void wait_all(ares_channel channel) {
  for (;;) {
    fd_set readers;
    fd_set writers;
    FD_ZERO(&readers);
    FD_ZERO(&writers);
    const int nfds = ares_fds(channel, &readers, &writers);
    if (nfds == 0) break;
    timeval tv{};
    timeval* tvp = ares_timeout(channel, nullptr, &tv);
    select(nfds, &readers, &writers, nullptr, tvp);
    ares_process(channel, &readers, &writers);
  }
}

// Queries NAME/TYPE (class IN) and waits for the answer.
Reply query(ares_channel channel, const std::string& name, int type) {
  Reply reply;
  ares_query(channel, name.c_str(), ns_c_in, type, on_reply, &reply);
  wait_all(channel);
  return reply;
}

std::vector<std::string> parse_a(const Reply& reply, int& status) {
  std::vector<std::string> out;
  ares_addrttl ttls[256];
  int n = 256;
  status = ares_parse_a_reply(reply.bytes.data(), static_cast<int>(reply.bytes.size()), nullptr, ttls, &n);
  if (status != ARES_SUCCESS) return out;
  for (int i = 0; i < n; ++i) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &ttls[i].ipaddr, text, sizeof text);
    out.emplace_back(text);
  }
  return out;
}

std::vector<std::string> parse_aaaa(const Reply& reply, int& status) {
  std::vector<std::string> out;
  ares_addr6ttl ttls[256];
  int n = 256;
  status = ares_parse_aaaa_reply(reply.bytes.data(), static_cast<int>(reply.bytes.size()), nullptr, ttls, &n);
  if (status != ARES_SUCCESS) return out;
  for (int i = 0; i < n; ++i) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &ttls[i].ip6addr, text, sizeof text);
    out.emplace_back(text);
  }
  return out;
}

int fail(int status, const std::string& what = "") {
  std::fprintf(stderr, "ERROR %s%s%s %s\n", error_name(status), what.empty() ? "" : " ", what.c_str(),
               ares_strerror(status));
  return 2;
}

int usage() {
  std::fprintf(stderr, "usage: cares_probe [--tcp] [--edns SIZE] [--timeout-ms N] SERVER:PORT NAME A|AAAA|SRV|TXT\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  bool tcp = false;
  int edns = 0;
  int timeout_ms = 2000;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--tcp") {
      tcp = true;
    } else if (arg == "--edns" && i + 1 < argc) {
      edns = std::atoi(argv[++i]);
    } else if (arg == "--timeout-ms" && i + 1 < argc) {
      timeout_ms = std::atoi(argv[++i]);
    } else {
      args.push_back(arg);
    }
  }
  if (args.size() != 3) return usage();
  const std::string& server = args[0];
  const std::string& name = args[1];
  const std::string& type = args[2];
  int qtype = 0;
  if (type == "A") qtype = ns_t_a;
  else if (type == "AAAA") qtype = ns_t_aaaa;
  else if (type == "SRV") qtype = ns_t_srv;
  else if (type == "TXT") qtype = ns_t_txt;
  else return usage();

  int status = ares_library_init(ARES_LIB_INIT_ALL);
  if (status != ARES_SUCCESS) return fail(status, "library_init");

  ares_options options{};
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  if (tcp) options.flags |= ARES_FLAG_USEVC;
  if (edns > 0) {
    options.flags |= ARES_FLAG_EDNS;
    options.ednspsz = edns;
    mask |= ARES_OPT_EDNSPSZ;
  }
  options.timeout = timeout_ms;
  options.tries = 2;
  ares_channel channel = nullptr;
  status = ares_init_options(&channel, &options, mask);
  if (status != ARES_SUCCESS) return fail(status, "init");
  status = ares_set_servers_ports_csv(channel, server.c_str());
  if (status != ARES_SUCCESS) {
    ares_destroy(channel);
    return fail(status, "servers");
  }

  int rc = 0;
  const Reply reply = query(channel, name, qtype);
  if (reply.status != ARES_SUCCESS) {
    rc = fail(reply.status);
  } else if (qtype == ns_t_a || qtype == ns_t_aaaa) {
    const auto addrs = qtype == ns_t_a ? parse_a(reply, status) : parse_aaaa(reply, status);
    if (status != ARES_SUCCESS) rc = fail(status);
    for (const auto& a : addrs) std::printf("%s %s\n", type.c_str(), a.c_str());
  } else if (qtype == ns_t_srv) {
    ares_srv_reply* srv = nullptr;
    status = ares_parse_srv_reply(reply.bytes.data(), static_cast<int>(reply.bytes.size()), &srv);
    if (status != ARES_SUCCESS) {
      rc = fail(status);
    } else {
      std::vector<std::string> targets;
      for (const ares_srv_reply* r = srv; r != nullptr; r = r->next) {
        std::printf("SRV %u %u %u %s\n", r->priority, r->weight, r->port, r->host);
        targets.emplace_back(r->host);
      }
      ares_free_data(srv);
      // A client of SRV resolves every target it may connect to: A and AAAA, as c-ares'
      // users do (the additional section is a hint that c-ares does not expose).
      for (const auto& target : targets) {
        const Reply a = query(channel, target, ns_t_a);
        const Reply aaaa = query(channel, target, ns_t_aaaa);
        int sa = a.status;
        int s6 = aaaa.status;
        std::vector<std::string> v4;
        std::vector<std::string> v6;
        if (sa == ARES_SUCCESS) v4 = parse_a(a, sa);
        if (s6 == ARES_SUCCESS) v6 = parse_aaaa(aaaa, s6);
        for (const auto& x : v4) std::printf("TARGET %s A %s\n", target.c_str(), x.c_str());
        for (const auto& x : v6) std::printf("TARGET %s AAAA %s\n", target.c_str(), x.c_str());
        if (v4.empty() && v6.empty()) rc = fail(sa != ARES_SUCCESS ? sa : s6, "TARGET " + target);
      }
    }
  } else {
    ares_txt_ext* txt = nullptr;
    status = ares_parse_txt_reply_ext(reply.bytes.data(), static_cast<int>(reply.bytes.size()), &txt);
    if (status != ARES_SUCCESS) {
      rc = fail(status);
    } else {
      bool first = true;
      for (const ares_txt_ext* t = txt; t != nullptr; t = t->next) {
        if (t->record_start && !first) std::printf("--\n");
        first = false;
        std::printf("TXT %.*s\n", static_cast<int>(t->length), reinterpret_cast<const char*>(t->txt));
      }
      ares_free_data(txt);
    }
  }
  std::fflush(stdout);
  ares_destroy(channel);
  ares_library_cleanup();
  return rc;
}
