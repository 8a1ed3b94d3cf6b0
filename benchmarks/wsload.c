/* wsload: a WebSocket echo load client (and, for its own ceiling, a C echo
 * server), 127.0.0.1 only.
 *
 *   wsload PORT PATH CONNS SIZE SECONDS DEPTH
 *       CONNS connections to 127.0.0.1:PORT PATH, each keeping DEPTH masked
 *       text messages of SIZE bytes in flight (pipelined: as many frames as
 *       are missing go out in one write); every echo is checked (opcode,
 *       length, payload).  After a 0.5 s warm-up, counts the echoes for
 *       SECONDS and prints one line:
 *           msgs=N seconds=S rate=R errors=E
 *   wsload --serve PORT
 *       an epoll echo server: any upgrade request gets a 101 (the client
 *       here checks the status only), then every frame's payload is
 *       unmasked and sent back in a frame of its own, one send per frame.
 *       Its rate with the client is the client's own ceiling.
 *
 * Built by benchmarks/run.sh: cc -O2 -o build/bench/wsload benchmarks/wsload.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 64
#define RXBUF (1 << 18)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(2);
}

static void nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

struct conn {
    int fd;
    long sent, got;
    unsigned char *rx;
    size_t rxlen;
    size_t msg_off; /* bytes of the message being echoed so far */
    size_t txoff, txlen; /* a write the socket did not take whole */
    unsigned char *tx;
};

static int frame_len(size_t n, int masked) { return (n < 126 ? 2 : n < 65536 ? 4 : 10) + (masked ? 4 : 0) + (int)n; }

static int build_frame(unsigned char *out, const unsigned char *payload, size_t n,
                       const unsigned char *mask) {
    int h = 0;
    out[h++] = 0x81;
    if (n < 126) {
        out[h++] = 0x80 | n;
    } else {
        out[h++] = 0x80 | 126;
        out[h++] = n >> 8;
        out[h++] = n & 0xff;
    }
    memcpy(out + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < n; i++) out[h + i] = payload[i] ^ mask[i & 3];
    return h + (int)n;
}

static int client(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: wsload PORT PATH CONNS SIZE SECONDS DEPTH\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *path = argv[2];
    int nconn = atoi(argv[3]);
    size_t size = (size_t)atol(argv[4]);
    double seconds = atof(argv[5]);
    int depth = atoi(argv[6]);
    if (nconn < 1 || nconn > MAXCONN || depth < 1 || size > 65535) return 2;
    unsigned char *payload = malloc(size);
    for (size_t i = 0; i < size; i++) payload[i] = 'a' + i % 26;
    unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    int flen = frame_len(size, 1);
    unsigned char *frames = malloc((size_t)flen * depth);
    for (int i = 0; i < depth; i++) build_frame(frames + (size_t)i * flen, payload, size, mask);

    struct conn c[MAXCONN];
    int ep = epoll_create1(0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    for (int i = 0; i < nconn; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
        nodelay(fd);
        char req[512];
        int n = snprintf(req, sizeof req,
                         "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n",
                         path);
        if (write(fd, req, n) != n) die("write");
        char resp[1024];
        size_t got = 0;
        for (;;) {
            ssize_t r = read(fd, resp + got, sizeof resp - 1 - got);
            if (r <= 0) die("handshake read");
            got += r;
            resp[got] = 0;
            if (strstr(resp, "\r\n\r\n")) break;
            if (got >= sizeof resp - 1) break;
        }
        if (strncmp(resp, "HTTP/1.1 101", 12)) {
            fprintf(stderr, "handshake refused: %.40s\n", resp);
            return 2;
        }
        c[i].fd = fd;
        c[i].sent = c[i].got = 0;
        c[i].msg_off = 0;
        c[i].rx = malloc(RXBUF);
        char *end = strstr(resp, "\r\n\r\n") + 4;
        c[i].rxlen = got - (end - resp);
        memcpy(c[i].rx, end, c[i].rxlen);
        c[i].tx = frames;
        c[i].txoff = c[i].txlen = 0;
        nonblock(fd);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    double t0 = now(), start = t0 + 0.5, stop = start + seconds;
    long base = -1, total = 0, errors = 0;
    struct epoll_event evs[MAXCONN];
    for (;;) {
        double t = now();
        if (base < 0 && t >= start) base = total;
        if (t >= stop) break;
        int n = epoll_wait(ep, evs, MAXCONN, 100);
        for (int k = 0; k < n; k++) {
            struct conn *x = &c[evs[k].data.u32];
            /* read and check every whole echo */
            for (;;) {
                ssize_t r = read(x->fd, x->rx + x->rxlen, RXBUF - x->rxlen);
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                if (r <= 0) {
                    fprintf(stderr, "connection closed by the server\n");
                    return 3;
                }
                x->rxlen += r;
                size_t pos = 0;
                /* an echo may come back in several frames (a server that
                 * hands RECEIVE pieces of rx_buffer_size and echoes each as
                 * it comes): text, then continuations, the last with FIN */
                while (x->rxlen - pos >= 2) {
                    unsigned char *f = x->rx + pos;
                    size_t len = f[1] & 0x7f, h = 2;
                    if (len == 126) {
                        if (x->rxlen - pos < 4) break;
                        len = (f[2] << 8) | f[3];
                        h = 4;
                    } else if (len == 127) {
                        fprintf(stderr, "bad echo: 64-bit length\n");
                        return 3;
                    }
                    if (x->rxlen - pos < h + len) break;
                    int op = f[0] & 0x0f;
                    if ((op != (x->msg_off ? 0 : 1)) || (f[1] & 0x80) || x->msg_off + len > size ||
                        memcmp(f + h, payload + x->msg_off, len)) {
                        errors++;
                        fprintf(stderr, "bad echo (byte0 %02x, length %zu at %zu)\n", f[0], len,
                                x->msg_off);
                        return 3;
                    }
                    x->msg_off += len;
                    pos += h + len;
                    if (f[0] & 0x80) {
                        if (x->msg_off != size) {
                            fprintf(stderr, "bad echo: %zu bytes for %zu\n", x->msg_off, size);
                            return 3;
                        }
                        x->msg_off = 0;
                        x->got++;
                        total++;
                    }
                }
                if (pos) {
                    memmove(x->rx, x->rx + pos, x->rxlen - pos);
                    x->rxlen -= pos;
                }
            }
            /* top up: what is missing of DEPTH goes out in one write */
            for (;;) {
                if (!x->txlen) {
                    long want = depth - (x->sent - x->got);
                    if (want <= 0) break;
                    x->txoff = 0;
                    x->txlen = (size_t)want * flen;
                    x->sent += want;
                }
                ssize_t w = write(x->fd, frames + x->txoff, x->txlen);
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                if (w < 0) die("write");
                x->txoff += w;
                x->txlen -= w;
                if (x->txlen) break;
            }
        }
    }
    double el = now() - start;
    long msgs = total - (base < 0 ? 0 : base);
    printf("msgs=%ld seconds=%.3f rate=%.1f errors=%ld\n", msgs, el, msgs / el, errors);
    return 0;
}

static int serve(int port) __attribute__((noreturn));
static int serve(int port) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    listen(ls, 128);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    static unsigned char *rx[1024];
    static size_t rxlen[1024];
    static int up[1024];
    unsigned char tx[70000];
    printf("wsload echo server on port %d\n", port);
    fflush(stdout);
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int k = 0; k < n; k++) {
            int fd = evs[k].data.fd;
            if (fd == ls) {
                int s = accept(ls, NULL, NULL);
                if (s < 0 || s >= 1024) continue;
                nodelay(s);
                rx[s] = realloc(rx[s], RXBUF);
                rxlen[s] = 0;
                up[s] = 0;
                struct epoll_event e = {.events = EPOLLIN, .data.fd = s};
                epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
                continue;
            }
            ssize_t r = read(fd, rx[fd] + rxlen[fd], RXBUF - rxlen[fd]);
            if (r <= 0) {
                close(fd);
                continue;
            }
            rxlen[fd] += r;
            size_t pos = 0;
            unsigned char *b = rx[fd];
            if (!up[fd]) {
                unsigned char *e = memmem(b, rxlen[fd], "\r\n\r\n", 4);
                if (!e) continue;
                static const char ok[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                         "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n";
                if (write(fd, ok, sizeof ok - 1) < 0) continue;
                up[fd] = 1;
                pos = e + 4 - b;
            }
            while (rxlen[fd] - pos >= 6) {
                unsigned char *f = b + pos;
                size_t len = f[1] & 0x7f, h = 2;
                if (len == 126) {
                    if (rxlen[fd] - pos < 8) break;
                    len = (f[2] << 8) | f[3];
                    h = 4;
                }
                if (rxlen[fd] - pos < h + 4 + len) break;
                unsigned char *m = f + h;
                int o = 0;
                tx[o++] = 0x80 | (f[0] & 0x0f);
                if (len < 126) {
                    tx[o++] = len;
                } else {
                    tx[o++] = 126;
                    tx[o++] = len >> 8;
                    tx[o++] = len & 0xff;
                }
                for (size_t i = 0; i < len; i++) tx[o + i] = m[4 + i] ^ m[i & 3];
                if (write(fd, tx, o + len) < 0) break;
                pos += h + 4 + len;
            }
            memmove(b, b + pos, rxlen[fd] - pos);
            rxlen[fd] -= pos;
        }
    }
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc == 3 && !strcmp(argv[1], "--serve")) return serve(atoi(argv[2]));
    return client(argc, argv);
}
