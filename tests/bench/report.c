#include "config.h"

#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct spread spread_of(const double *v, int n)
{
	double s[BENCH_MAX_ROUNDS];
	if (n < 1 || n > BENCH_MAX_ROUNDS)
		abort();
	memcpy(s, v, sizeof s[0] * (size_t)n);
	qsort(s, (size_t)n, sizeof s[0], cmp_double);
	return (struct spread){
	    .min = s[0],
	    .med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2,
	    .max = s[n - 1],
	};
}

const char *num(char buf[32], double v)
{
	if (isnan(v)) {
		snprintf(buf, 32, "-");
	} else if (fabs(v) < 10) {
		snprintf(buf, 32, "%.2f", v);
	} else if (fabs(v) < 1000) {
		snprintf(buf, 32, "%.1f", v);
	} else {
		/* Thousands separated, whatever the locale. */
		char digits[32];
		int len = snprintf(digits, sizeof digits, "%.0f", fabs(v));
		char *o = buf;
		if (v < 0)
			*o++ = '-';
		for (int i = 0; i < len; i++) {
			if (i > 0 && (len - i) % 3 == 0)
				*o++ = ',';
			*o++ = digits[i];
		}
		*o = '\0';
	}
	return buf;
}

const char *spread_str(char buf[100], struct spread s)
{
	char a[32], b[32], c[32];
	snprintf(buf, 100, "%s / %s / %s", num(a, s.min), num(b, s.med),
		 num(c, s.max));
	return buf;
}

void md_table(const char *title, const char *text, const char *const *cols,
	      int ncols)
{
	printf("\n### %s\n\n%s\n\n|", title, text);
	for (int i = 0; i < ncols; i++)
		printf(" %s |", cols[i]);
	printf("\n|");
	for (int i = 0; i < ncols; i++)
		printf("---|");
	printf("\n");
}

static struct thread_usage usage_of(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	int64_t us = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
			 1000000 +
		     ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	return (struct thread_usage){us * 1000, ru.ru_nvcsw};
}

struct thread_usage thread_usage_now(void)
{
	return usage_of(RUSAGE_THREAD);
}

struct thread_usage process_usage_now(void)
{
	return usage_of(RUSAGE_SELF);
}

bool parse_count(const char *s, long *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e15 ||
	    v != floor(v))
		return false;
	*out = (long)v;
	return true;
}

const char *program_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	if (strncmp(base, "lt-", 3) == 0)
		base += 3;
	return base;
}

int bench_options_parse(int argc, char **argv, const char *accept,
			void (*usage)(FILE *to, const char *argv0),
			struct bench_options *o)
{
	static const struct option options[] = {
	    {"smoke", no_argument, NULL, 's'},
	    {"rounds", required_argument, NULL, 'r'},
	    {"syscalls", required_argument, NULL, 'o'},
	    {"count", required_argument, NULL, 'n'},
	    {"only", required_argument, NULL, 'O'},
	    {"impl", required_argument, NULL, 'i'},
	    {"workers", required_argument, NULL, 'w'},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = program_name(argv[0]);
	long n;
	*o = (struct bench_options){0};
	for (int c; (c = getopt_long(argc, argv, accept, options, NULL)) != -1;) {
		/* A long option this program does not take is refused too. */
		if (c == '?' || !strchr(accept, c)) {
			usage(stderr, argv[0]);
			return 2;
		}
		switch (c) {
		case 's':
			o->smoke = true;
			break;
		case 'r':
			if (!parse_count(optarg, &n) || n < 1 ||
			    n > BENCH_MAX_ROUNDS) {
				fprintf(stderr, "%s: --rounds wants 1 to %d, "
						"not %s\n", name, BENCH_MAX_ROUNDS, optarg);
				return 2;
			}
			o->rounds = (int)n;
			break;
		case 'n':
		case 'w':
			if (!parse_count(optarg, &n) || n < 1) {
				fprintf(stderr, "%s: --%s wants a positive number, "
						"not %s\n", name,
					c == 'n' ? "count" : "workers", optarg);
				return 2;
			}
			*(c == 'n' ? &o->count : &o->workers) = n;
			break;
		case 'o':
			o->syscalls = optarg;
			break;
		case 'O':
			o->only = optarg;
			break;
		case 'i':
			o->impl = optarg;
			break;
		case 'v':
			o->version = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		}
	}
	if (optind < argc) {
		usage(stderr, argv[0]);
		return 2;
	}
	return -1;
}
