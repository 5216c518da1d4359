/*
 * The ledger of raw unparker handles: Unparker:into_raw() records a new
 * reference here, park.unparker_from_raw() takes it out again. A raw
 * handle is a plain pointer copied by a C host from one lua_State to
 * another, so only this record can tell a handle not yet adopted from one
 * adopted already (whose reference now belongs to an Unparker and may be
 * gone) or from a pointer that never was one. A raw handle never adopted
 * keeps its parker's memory alive (64 bytes) until the process exits.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* dladdr */
#endif

#include "park-lua.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

struct raw_entry {
	park_unparker *unparker;
	struct raw_entry *next;
};
static pthread_mutex_t ledger_lock = PTHREAD_MUTEX_INITIALIZER;
static struct raw_entry *ledger;

void *park_lua_into_raw(park_unparker *u)
{
	struct raw_entry *entry = malloc(sizeof *entry);
	if (!entry)
		return NULL;
	entry->unparker = park_unparker_ref(u);
	pthread_mutex_lock(&ledger_lock);
	entry->next = ledger;
	ledger = entry;
	pthread_mutex_unlock(&ledger_lock);
	return entry->unparker;
}

park_unparker *park_lua_take_raw(const void *raw)
{
	park_unparker *found = NULL;
	pthread_mutex_lock(&ledger_lock);
	for (struct raw_entry **at = &ledger; *at; at = &(*at)->next) {
		if ((const void *)(*at)->unparker == raw) {
			struct raw_entry *entry = *at;
			*at = entry->next;
			found = entry->unparker;
			free(entry);
			break;
		}
	}
	pthread_mutex_unlock(&ledger_lock);
	return found;
}

/* Lua unloads a C module when the last state that required it closes; the
 * ledger must outlive that (a handle made in a state that closed is still
 * good), so the module keeps itself loaded. */
void park_lua_pin_module(void)
{
	Dl_info self;
	if (dladdr((void *)&ledger, &self) && self.dli_fname)
		dlopen(self.dli_fname, RTLD_NOW | RTLD_NODELETE);
}
