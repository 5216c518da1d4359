/*
 * Idle sets (park.IdleSet over park_idle). A park through the set is
 * park_idle_park() made of its parts (join, park, leave), so that the main
 * thread's park can be sliced, and stays in the set between slices: a
 * parker that left between two slices could miss the unpark_one meant for
 * it. libpark has no call that says whether a parker has joined, so each
 * parker records its set and the set keeps the list of its members:
 * whichever of the two goes first updates the other.
 */
#include "config.h"

#include "park-py.h"

IdleSet *park_py_idle_new(Driver *d)
{
	IdleSet *s = calloc(1, sizeof *s);
	if (s && (s->set = park_idle_new(d->driver)))
		return s;
	return park_py_fail(s, s ? errno : ENOMEM);
}

static void unlink_member(Parker *pk)
{
	IdleSet *s = pk->idle;
	if (pk->idle_prev)
		pk->idle_prev->idle_next = pk->idle_next;
	else
		s->members = pk->idle_next;
	if (pk->idle_next)
		pk->idle_next->idle_prev = pk->idle_prev;
	pk->idle_prev = pk->idle_next = NULL;
	pk->idle = NULL;
}

/* libpark's last unref gives each parker still idle a token and lets every
 * member join another set. */
void park_py_idle_free(IdleSet *s)
{
	while (s->members)
		unlink_member(s->members);
	park_idle_unref(s->set);
	free(s);
}

int park_py_idle_join(IdleSet *s, Parker *pk)
{
	if (pk->idle)
		return pk->idle == s ? PARK_BINDING_IDLE_JOINED
				     : PARK_BINDING_IDLE_OTHER;
	int r = park_idle_join(s->set, pk->parker);
	if (r < 0)
		return r == -EBUSY ? PARK_BINDING_IDLE_OTHER : r;
	pk->idle = s;
	pk->idle_next = s->members;
	if (s->members)
		s->members->idle_prev = pk;
	s->members = pk;
	return 0;
}

int park_py_idle_leave(IdleSet *s, Parker *pk)
{
	if (pk->idle != s)
		return PARK_BINDING_IDLE_NOT_MEMBER;
	int r = park_idle_leave(s->set, pk->parker);
	unlink_member(pk);
	return r;
}

void park_py_idle_forget(Parker *pk)
{
	if (pk->idle)
		park_py_idle_leave(pk->idle, pk);
}

/* park_idle_park(): join unless joined, park, leave; unless another thread
 * parks on pk and this call did not join. */
int park_py_idle_park(IdleSet *s, Parker *pk, int64_t ns, bool main)
{
	bool joined_here = pk->idle != s;
	if (joined_here) {
		int err = park_py_idle_join(s, pk);
		if (err < 0)
			return err;
	}
	int r = park_py_park(pk, ns, main);
	if ((r != -EBUSY || joined_here) && pk->idle == s)
		park_py_idle_forget(pk);
	return r;
}
