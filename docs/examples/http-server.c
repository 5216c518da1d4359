/*
 * A multi-threaded HTTP server on libpark: libevent's evhttp on the
 * driver's base (without libevent's threading), W workers parked on one
 * driver through an idle set. Whichever worker sleeps in the driver accepts
 * connections and reads requests; a request becomes a job that wakes one
 * idle worker (preferring one that is not serving the loop); the worker does
 * the work and posts the reply back to the loop thread, which alone may
 * touch evhttp. SIGINT or SIGTERM shut the pool down gracefully (see
 * park_driver_post(3)) and print the server's counters.
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

#define MAX_WORKERS 64

struct job {
	struct evhttp_request *req;
	long work_us;
	struct job *next;
};

static park_driver *driver;
static park_idle *idle_set;
static struct evhttp *http;
static struct evhttp_bound_socket *listener;
static long default_work_us;

/* The job queue, filled on the loop thread, emptied by workers. */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static struct job *queue_head, **queue_tail = &queue_head;

/* The server's own counters: accepted requests, replies sent; after a
 * graceful shutdown they must be equal (no lost request). */
static _Atomic long accepted, replied;
static bool stopping; /* loop thread only */

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

static void reply(struct evhttp_request *req)
{
	struct evbuffer *body = evbuffer_new();
	evbuffer_add_printf(body, "done\n");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
	replied++;
}

/* Posted by a worker: runs on the loop thread. */
static void send_reply(void *arg)
{
	struct job *job = arg;
	reply(job->req);
	free(job);
}

static void push_job(struct job *job)
{
	pthread_mutex_lock(&queue_lock);
	*queue_tail = job;
	queue_tail = &job->next;
	pthread_mutex_unlock(&queue_lock);
}

static struct job *take_job(void)
{
	pthread_mutex_lock(&queue_lock);
	struct job *job = queue_head;
	if (job && !(queue_head = job->next))
		queue_tail = &queue_head;
	pthread_mutex_unlock(&queue_lock);
	return job;
}

/* A request, read by whichever thread runs the loop. */
static void on_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	accepted++;
	if (!idle_set) { /* single-threaded baseline */
		burn(work_of(req));
		reply(req);
		return;
	}
	struct job *job = malloc(sizeof *job);
	if (!job) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		replied++;
		return;
	}
	*job = (struct job){req, work_of(req), NULL};
	push_job(job);
	park_idle_unpark_one(idle_set);
}

/* The worker loop of libpark(3): take a job, or join the idle set,
 * re-check (for work, and for shutdown), and park. After each job a
 * zero-timeout park serves the loop, so that accepts and replies do not
 * wait for a worker to go idle. */
static void *worker_main(void *arg)
{
	park_parker *parker = arg;
	for (;;) {
		struct job *job = take_job();
		if (!job) {
			if (park_driver_is_shutdown(driver))
				break;
			park_idle_join(idle_set, parker);
			job = take_job();
			if (!job && !park_driver_is_shutdown(driver)) {
				park_idle_park(idle_set, parker, -1);
				continue;
			}
			park_idle_leave(idle_set, parker);
			if (!job)
				break;
		}
		burn(job->work_us);
		/* Refused only after shutdown, which waits until every
		 * accepted request has its reply: cannot happen here. */
		if (park_driver_post(driver, send_reply, job) < 0)
			abort();
		park_parker_park_timeout(parker, 0);
	}
	return NULL;
}

static struct event_base *loop_base;

/* Graceful shutdown, on the loop thread: accepting has stopped; once every
 * accepted request has its reply, shut the driver down and wake every idle
 * worker (each re-checks for shutdown after joining the idle set, so none
 * can miss it). The single-threaded baseline just leaves its loop. */
static void check_drained(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (replied < accepted)
		return;
	event_free(arg);
	if (driver) {
		park_driver_shutdown(driver);
		park_idle_unpark_all(idle_set);
	} else {
		event_base_loopbreak(loop_base);
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	if (stopping)
		return;
	stopping = true;
	evhttp_del_accept_socket(http, listener);
	struct event *drained = event_new(loop_base, -1, EV_PERSIST,
					  check_drained, event_self_cbarg());
	struct timeval every = {0, 1000};
	event_add(drained, &every);
}

int main(int argc, char **argv)
{
	int port = 8080, workers = 2;
	bool announce = false;
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
	if (workers < 0 || workers > MAX_WORKERS)
		return 2;
	signal(SIGPIPE, SIG_IGN);

	if (workers > 0) {
		driver = park_driver_new();
		idle_set = driver ? park_idle_new(driver) : NULL;
		if (!idle_set) {
			perror("http-server: libpark");
			return 1;
		}
		loop_base = park_driver_get_base(driver);
	} else {
		loop_base = event_base_new();
	}
	http = evhttp_new(loop_base);
	listener = http ? evhttp_bind_socket_with_handle(http, "127.0.0.1",
							 (ev_uint16_t)port)
			: NULL;
	if (!listener) {
		fprintf(stderr, "http-server: cannot listen on port %d\n", port);
		return 1;
	}
	evhttp_set_gencb(http, on_request, NULL);
	struct event *sigint = evsignal_new(loop_base, SIGINT, on_signal, NULL);
	struct event *sigterm = evsignal_new(loop_base, SIGTERM, on_signal, NULL);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	if (announce) {
		struct sockaddr_storage ss;
		ev_socklen_t len = sizeof ss;
		getsockname(evhttp_bound_socket_get_fd(listener),
			    (struct sockaddr *)&ss, &len);
		printf("listening on %d\n",
		       ntohs(((struct sockaddr_in *)&ss)->sin_port));
		fflush(stdout);
	}

	park_parker *parkers[MAX_WORKERS];
	pthread_t threads[MAX_WORKERS];
	if (workers == 0) {
		event_base_dispatch(loop_base);
	} else {
		for (int i = 0; i < workers; i++) {
			parkers[i] = park_parker_new(driver);
			pthread_create(&threads[i], NULL, worker_main,
				       parkers[i]);
		}
		/* The main thread only waits: the workers run the loop. */
		for (int i = 0; i < workers; i++)
			pthread_join(threads[i], NULL);
	}
	/* No thread parks on the driver any more: the base is this thread's
	 * now. Give the last replies 100 ms to leave their buffers
	 * (park_driver_post(3), shutting a pool down). */
	struct timeval grace = {0, 100000};
	event_base_loopexit(loop_base, &grace);
	event_base_dispatch(loop_base);
	for (int i = 0; i < workers; i++)
		park_parker_unref(parkers[i]);
	event_free(sigint);
	event_free(sigterm);
	evhttp_free(http);
	printf("http-server: %ld requests accepted, %ld replied, %ld lost\n",
	       (long)accepted, (long)replied, (long)(accepted - replied));
	if (workers > 0) {
		park_idle_unref(idle_set);
		park_driver_unref(driver);
	} else {
		event_base_free(loop_base);
	}
	return accepted == replied ? 0 : 1;
}
