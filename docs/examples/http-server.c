/*
 * A multi-threaded HTTP server on a libpark pool: libevent's evhttp on the
 * pool's driver base (without libevent's threading). Whichever worker is
 * idle serves the loop: it accepts connections and reads requests; each
 * request becomes a pool job that runs on a worker and posts its reply
 * back to the loop, which alone may touch evhttp.
 *
 * SIGINT or SIGTERM stop it gracefully, under load too: the listener
 * closes; every request read from then on is answered 503 with
 * "Connection: close" (so keep-alive clients hang up); the pool drains the
 * requests it accepted; the main thread sends the last replies and prints
 * the counters. Exit 0 when every request read got a response.
 *
 *   http-server [-p port] [-w workers] [-W work_us] [-a]
 *
 * -w 0 is plain single-threaded evhttp, the baseline: the loop thread does
 * the work and replies itself. Each request may say ?work=MICROSECONDS.
 * -a: announce "listening on PORT" on stdout once bound (port 0: any).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <libpark.h>

static park_pool *pool;
static park_driver *driver;
static struct event_base *base;
static struct evhttp *http;
static struct evhttp_bound_socket *listener;
static long default_work_us;

/* Requests read, and responses sent (200 or 503): equal at the end. */
static _Atomic long accepted, replied, refused;
/* Set on the loop at the signal; read there only. */
static bool stopping;
/* The main thread waits for the signal here. */
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static bool stop_requested;

struct job {
	struct evhttp_request *req;
	long work_us;
};

static void burn(long us)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - start.tv_sec) * 1000000L +
		       (now.tv_nsec - start.tv_nsec) / 1000 <
	       us);
}

static long work_of(struct evhttp_request *req)
{
	struct evkeyvalq query;
	const char *uri = evhttp_request_get_uri(req);
	const char *q = strchr(uri, '?');
	long us = default_work_us;
	if (q && evhttp_parse_query_str(q + 1, &query) == 0) {
		const char *v = evhttp_find_header(&query, "work");
		if (v)
			us = strtol(v, NULL, 10);
		evhttp_clear_headers(&query);
	}
	return us < 0 ? 0 : us;
}

/* On the loop thread. Once stopping, every reply tells the client to
 * close, so a keep-alive connection does not send another request. */
static void respond(struct evhttp_request *req, int code, const char *text)
{
	if (stopping)
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "Connection", "close");
	struct evbuffer *body = evbuffer_new();
	evbuffer_add_printf(body, "%s\n", code == HTTP_OK ? "done" : text);
	evhttp_send_reply(req, code, text, body);
	evbuffer_free(body);
	replied++;
}

/* Posted by a job: runs on the loop thread. */
static void send_reply(void *arg)
{
	struct job *job = arg;
	respond(job->req, HTTP_OK, "OK");
	free(job);
}

/* A pool job. The pool never shuts the driver down, so the post is
 * accepted through the pool's shutdown too. */
static void run_job(void *arg)
{
	struct job *job = arg;
	burn(job->work_us);
	if (park_driver_post(driver, send_reply, job) < 0)
		abort(); /* only ENOMEM is possible here */
}

/* A request, read by whichever thread runs the loop. */
static void on_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	accepted++;
	if (!pool) { /* single-threaded baseline */
		if (stopping) {
			refused++;
			respond(req, HTTP_SERVUNAVAIL, "Service Unavailable");
			return;
		}
		burn(work_of(req));
		respond(req, HTTP_OK, "OK");
		return;
	}
	struct job *job = stopping ? NULL : malloc(sizeof *job);
	if (job) {
		*job = (struct job){req, work_of(req)};
		if (park_pool_submit(pool, run_job, job) == 0)
			return;
		free(job);
	}
	refused++;
	respond(req, HTTP_SERVUNAVAIL, "Service Unavailable");
}

/* Wakes the main thread, which waits for the end. */
static void request_stop(void)
{
	pthread_mutex_lock(&stop_lock);
	stop_requested = true;
	pthread_cond_signal(&stop_cond);
	pthread_mutex_unlock(&stop_lock);
}

/* On the loop: stop accepting, answer 503 from now on, let the pool
 * drain (on a worker the call cannot wait: -EINPROGRESS), and wake the
 * main thread, which waits for the end. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	if (stopping)
		return;
	stopping = true;
	if (listener)
		evhttp_del_accept_socket(http, listener);
	if (pool)
		park_pool_shutdown(pool, PARK_POOL_DRAIN, 0);
	else
		event_base_loopbreak(base);
	request_stop();
}

static void announce_port(void)
{
	struct sockaddr_storage ss;
	ev_socklen_t len = sizeof ss;
	getsockname(evhttp_bound_socket_get_fd(listener),
		    (struct sockaddr *)&ss, &len);
	printf("listening on %d\n",
	       ntohs(((struct sockaddr_in *)&ss)->sin_port));
	fflush(stdout);
}

/* evhttp on the base, from the thread that runs its loop: posted once the
 * pool exists, so that every request handler sees `pool` (the post hands
 * it over) and no other thread touches the base meanwhile. */
static int port_wanted;
static bool announce, listen_failed;
static void serve(void *arg)
{
	(void)arg;
	http = evhttp_new(base);
	listener = http ? evhttp_bind_socket_with_handle(http, "127.0.0.1",
							 (ev_uint16_t)port_wanted)
			: NULL;
	if (!listener) {
		fprintf(stderr, "http-server: cannot listen on port %d\n",
			port_wanted);
		listen_failed = true;
		if (pool)
			request_stop();
		else
			event_base_loopbreak(base);
		return;
	}
	evhttp_set_gencb(http, on_request, NULL);
	if (announce)
		announce_port();
}

/* After the pool stopped the base is this thread's: run it until every
 * request read has its response, then 100 ms more for the bytes to leave
 * (requests read meanwhile get 503 at once). */
static void flush(void)
{
	while (replied < accepted)
		event_base_loop(base, EVLOOP_ONCE);
	struct timeval grace = {0, 100000};
	event_base_loopexit(base, &grace);
	event_base_dispatch(base);
}

int main(int argc, char **argv)
{
	int port = 8080, workers = 2;
	for (int opt; (opt = getopt(argc, argv, "p:w:W:a")) != -1;) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'w': workers = atoi(optarg); break;
		case 'W': default_work_us = atol(optarg); break;
		case 'a': announce = true; break;
		default:
			fprintf(stderr, "usage: %s [-p port] [-w workers] "
					"[-W work_us] [-a]\n", argv[0]);
			return 2;
		}
	}
	if (workers < 0 || workers > PARK_POOL_MAX_WORKERS)
		return 2;
	signal(SIGPIPE, SIG_IGN);

	if (workers > 0) {
		/* The pool comes once the base is set up: until then no
		 * thread runs its loop, and this one may touch it. */
		if (!(driver = park_driver_new())) {
			perror("http-server: libpark");
			return 1;
		}
		base = park_driver_get_base(driver);
	} else {
		base = event_base_new();
	}
	port_wanted = port;
	struct event *sigint = evsignal_new(base, SIGINT, on_signal, NULL);
	struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, NULL);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);

	if (workers > 0) {
		/* From here on the pool's workers run the loop, and this
		 * thread only waits; evhttp comes up on the loop. */
		struct park_pool_options o = {.size = sizeof o,
					      .workers = (unsigned)workers,
					      .driver = driver};
		if (!(pool = park_pool_new(&o))) {
			perror("http-server: park_pool_new");
			return 1;
		}
		if (park_driver_post(driver, serve, NULL) < 0)
			abort(); /* only ENOMEM is possible here */
		pthread_mutex_lock(&stop_lock);
		while (!stop_requested)
			pthread_cond_wait(&stop_cond, &stop_lock);
		pthread_mutex_unlock(&stop_lock);
		park_pool_shutdown(pool, PARK_POOL_DRAIN, -1);
	} else {
		serve(NULL);
		if (!listen_failed)
			event_base_dispatch(base);
	}
	flush();
	event_free(sigint);
	event_free(sigterm);
	if (http)
		evhttp_free(http);
	printf("http-server: %ld answered 503 (stopping)\n", (long)refused);
	printf("http-server: %ld requests accepted, %ld replied, %ld lost\n",
	       (long)accepted, (long)replied, (long)(accepted - replied));
	if (workers > 0) {
		park_pool_unref(pool);
		park_driver_unref(driver);
	} else {
		event_base_free(base);
	}
	return listen_failed || accepted != replied ? 1 : 0;
}
