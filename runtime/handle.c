/* handle.c: hot reload, a holder of the current version of a policy.
 *
 * Readers must never see a policy that is being freed.  A policy is
 * reference counted, so a reader is safe once it holds a reference; the
 * only race is between loading the holder's pointer and taking that
 * reference, while a swapper drops the holder's reference to the same
 * policy.  A mutex makes "load + ref" and "exchange" mutually exclusive.
 * It is taken only when a reader picks up a new version: the per-decision
 * check (rpol_handle_refresh) is one atomic load compared with the
 * reader's own policy.  That comparison has no ABA problem because the
 * reader's reference keeps its policy, and so its address, alive.
 */
#include <pthread.h>
#include <string.h>
#include "internal.h"

struct rpol_handle {
  rpol_runtime *rt;          /* allocates the handle */
  pthread_mutex_t lock;      /* serialises acquire's load+ref with swap */
  rpol_policy *cur;          /* atomic; the holder owns one reference */
  uint64_t generation;       /* atomic; swaps so far */
};

rpol_status rpol_handle_new(rpol_runtime *rt, rpol_policy *p,
                            rpol_handle **out)
{
  rpol_handle *h;

  if (!out)
    return RPOL_EMISUSE;
  *out = NULL;
  if (!rt || !p)
    return RPOL_EMISUSE;
  h = rt_alloc(rt, sizeof *h);
  if (!h)
    return RPOL_ENOMEM;
  if (pthread_mutex_init(&h->lock, NULL) != 0) {
    rt_free(rt, h, sizeof *h);
    return RPOL_ENOMEM;
  }
  h->rt = rt;
  h->cur = rpol_policy_ref(p);
  *out = h;
  return RPOL_OK;
}

void rpol_handle_free(rpol_handle *h)
{
  if (!h)
    return;
  rpol_policy_unref(h->cur);
  pthread_mutex_destroy(&h->lock);
  rt_free(h->rt, h, sizeof *h);
}

rpol_status rpol_handle_swap(rpol_handle *h, rpol_policy *p)
{
  rpol_policy *old;

  if (!h || !p)
    return RPOL_EMISUSE;
  rpol_policy_ref(p);
  pthread_mutex_lock(&h->lock);
  old = h->cur;
  __atomic_store_n(&h->cur, p, __ATOMIC_RELEASE);
  __atomic_add_fetch(&h->generation, 1, __ATOMIC_ACQ_REL);
  pthread_mutex_unlock(&h->lock);
  /* Outside the lock: the last reference may unload a shared object. */
  rpol_policy_unref(old);
  return RPOL_OK;
}

rpol_policy *rpol_handle_acquire(rpol_handle *h)
{
  rpol_policy *p;

  if (!h)
    return NULL;
  pthread_mutex_lock(&h->lock);
  p = rpol_policy_ref(__atomic_load_n(&h->cur, __ATOMIC_ACQUIRE));
  pthread_mutex_unlock(&h->lock);
  return p;
}

void rpol_handle_release(rpol_policy *p)
{
  rpol_policy_unref(p);
}

int rpol_handle_refresh(rpol_handle *h, rpol_policy **p)
{
  rpol_policy *now;

  if (!h || !p)
    return -1;
  if (*p && __atomic_load_n(&h->cur, __ATOMIC_ACQUIRE) == *p)
    return 0;
  now = rpol_handle_acquire(h);
  rpol_policy_unref(*p);
  *p = now;
  return 1;
}

uint64_t rpol_handle_generation(const rpol_handle *h)
{
  return h ? __atomic_load_n(&h->generation, __ATOMIC_ACQUIRE) : 0;
}
