/* test-server-loop.c: the key manager's event loop parts on their own:
 * one deadline queue (KfServerTimers) and one epoll set (KfServerPoller),
 * each behind a single GSource
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "kf-server-handshakes.h"
#include "kf-server-poller.h"
#include "kf-server-timers.h"
#include "kf-test-util.h"

/* --- timers ------------------------------------------------------------- */

typedef struct
{
  KfServerTimers *timers;
  gint64          now;
  GString        *fired;      /* the names, in firing order */
  KfServerTimer  *victim;     /* removed by the timer named "r" */
} Clock;

typedef struct
{
  Clock      *clock;
  const char *name;
} Named;

static gint64
fake_clock (gpointer user_data)
{
  return ((Clock *) user_data)->now;
}

static void
record (gpointer user_data)
{
  Named *named = user_data;
  Clock *clock = named->clock;

  g_string_append (clock->fired, named->name);
  if (g_str_equal (named->name, "r") && clock->victim != NULL)
    kf_server_timers_clear (clock->timers, &clock->victim);
}

static void
clock_init (Clock *clock)
{
  clock->timers = kf_server_timers_new (NULL);
  clock->now = 1000000;
  clock->fired = g_string_new (NULL);
  kf_server_timers_set_clock (clock->timers, fake_clock, clock);
}

static void
clock_clear (Clock *clock)
{
  g_assert_cmpuint (kf_server_timers_get_size (clock->timers), ==, 0);
  g_assert_finalize_object (clock->timers);
  g_string_free (clock->fired, TRUE);
}

/* Timers fire in deadline order, ties in the order they were armed, only
 * when the clock says so, and a removed one never fires. */
static void
test_timers_order (void)
{
  Clock clock = { 0 };
  Named a, b, c, d, e;
  KfServerTimer *gone;

  clock_init (&clock);
  a = (Named) { &clock, "a" };
  b = (Named) { &clock, "b" };
  c = (Named) { &clock, "c" };
  d = (Named) { &clock, "d" };
  e = (Named) { &clock, "e" };
  kf_server_timers_add (clock.timers, 30, record, &c);
  kf_server_timers_add (clock.timers, 10, record, &a);
  kf_server_timers_add (clock.timers, 20, record, &b);
  kf_server_timers_add (clock.timers, 20, record, &d);
  gone = kf_server_timers_add (clock.timers, 5, record, &e);
  g_assert_cmpuint (kf_server_timers_get_size (clock.timers), ==, 5);
  kf_server_timers_remove (clock.timers, gone);

  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 0);
  clock.now += 9999;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 0);
  clock.now += 1;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 1);
  g_assert_cmpstr (clock.fired->str, ==, "a");
  clock.now += 60000;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 3);
  g_assert_cmpstr (clock.fired->str, ==, "abdc");

  clock_clear (&clock);
}

/* A callback may disarm a timer due in the same run, and arm new ones:
 * a due one fires in the same run, a later one does not. */
static void
test_timers_reentrant (void)
{
  Clock clock = { 0 };
  Named r, v, w;

  clock_init (&clock);
  r = (Named) { &clock, "r" };
  v = (Named) { &clock, "v" };
  w = (Named) { &clock, "w" };
  kf_server_timers_add (clock.timers, 10, record, &r);
  clock.victim = kf_server_timers_add (clock.timers, 10, record, &v);
  clock.now += 20000;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 1);
  g_assert_cmpstr (clock.fired->str, ==, "r");
  g_assert_null (clock.victim);

  kf_server_timers_add_at (clock.timers, clock.now - 1, record, &w);
  kf_server_timers_add_at (clock.timers, clock.now + 1, record, &v);
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 1);
  g_assert_cmpstr (clock.fired->str, ==, "rw");
  clock.now += 1;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 1);
  g_assert_cmpstr (clock.fired->str, ==, "rwv");

  clock_clear (&clock);
}

typedef struct
{
  GString  *fired;
  gint64    armed;
  gint64    late;       /* the latest any fired, after its deadline, in µs */
  gboolean  done;
} Real;

typedef struct
{
  Real       *real;
  const char *name;
  gint64      deadline;
} RealNamed;

static void
real_fire (gpointer user_data)
{
  RealNamed *named = user_data;

  g_assert_cmpint (g_get_monotonic_time (), >=, named->deadline);
  named->real->late = MAX (named->real->late, g_get_monotonic_time () - named->deadline);
  g_string_append (named->real->fired, named->name);
  named->real->done = g_str_equal (named->name, "c");
}

/* On the real clock the one source fires each timer in turn from the
 * main loop, never early. */
static void
test_timers_main_loop (void)
{
  g_autoptr(KfServerTimers) timers = kf_server_timers_new (NULL);
  Real real = { g_string_new (NULL), g_get_monotonic_time (), 0, FALSE };
  RealNamed a = { &real, "a", 0 }, b = { &real, "b", 0 }, c = { &real, "c", 0 };
  guint guard = g_timeout_add_seconds (10, kf_test_wake_up, NULL);

  c.deadline = kf_server_timers_get_time (timers) + 60 * G_TIME_SPAN_MILLISECOND;
  kf_server_timers_add_at (timers, c.deadline, real_fire, &c);
  a.deadline = kf_server_timers_get_time (timers) + 20 * G_TIME_SPAN_MILLISECOND;
  kf_server_timers_add_at (timers, a.deadline, real_fire, &a);
  b.deadline = kf_server_timers_get_time (timers) + 40 * G_TIME_SPAN_MILLISECOND;
  kf_server_timers_add_at (timers, b.deadline, real_fire, &b);

  kf_test_iterate_until (&real.done);
  g_source_remove (guard);
  g_assert_cmpstr (real.fired->str, ==, "abc");
  g_assert_cmpuint (kf_server_timers_get_size (timers), ==, 0);
  g_test_message ("the latest timer fired %.1f ms after its deadline", real.late / 1000.0);
  g_string_free (real.fired, TRUE);
}

/* --- poller ------------------------------------------------------------- */

typedef struct _Sock Sock;

struct _Sock
{
  KfServerPoller *poller;
  KfServerWatch  *watch;
  int             ends[2];     /* ends[0] is watched; tests write to ends[1] */
  guint           calls;
  gsize           read_per_call;  /* 0: everything there is */
  gsize           total;
  gboolean        eof;
  Sock           *remove_other;  /* removed by this one's owner when set */
};

/* Reads like a client: what there is (or read_per_call bytes, then says
 * there may be more); at the end it stops watching itself. */
static gboolean
sock_readable (gpointer user_data)
{
  Sock *sock = user_data;
  char buf[64];
  gssize n;
  gsize want = sock->read_per_call > 0 ? sock->read_per_call : sizeof buf;

  sock->calls++;
  if (sock->remove_other != NULL && sock->remove_other->watch != NULL)
    kf_server_poller_remove (sock->poller, g_steal_pointer (&sock->remove_other->watch));
  do
    {
      n = read (sock->ends[0], buf, want);
      if (n > 0)
        sock->total += (gsize) n;
    }
  while (n > 0 && sock->read_per_call == 0);
  if (n == 0)
    {
      sock->eof = TRUE;
      kf_server_poller_remove (sock->poller, g_steal_pointer (&sock->watch));
      return FALSE;
    }
  return sock->read_per_call > 0 && n > 0;
}

static void
sock_init (Sock           *sock,
           KfServerPoller *poller)
{
  g_autoptr(GError) error = NULL;

  memset (sock, 0, sizeof *sock);
  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                                 sock->ends));
  sock->poller = poller;
  sock->watch = kf_server_poller_add (poller, sock->ends[0], sock_readable, sock, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sock->watch);
}

static void
sock_clear (Sock *sock)
{
  if (sock->watch != NULL)
    kf_server_poller_remove (sock->poller, g_steal_pointer (&sock->watch));
  close (sock->ends[0]);
  if (sock->ends[1] >= 0)
    close (sock->ends[1]);
}

static void
sock_send (Sock       *sock,
           const char *data)
{
  g_assert_cmpint (write (sock->ends[1], data, strlen (data)), ==, (gssize) strlen (data));
}

/* Runs the default main context until nothing is ready. */
static void
settle (void)
{
  for (guint i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* The owner is called when its socket is readable and not otherwise; a
 * socket that was drained is not reported again. */
static void
test_poller_readable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServerPoller) poller = kf_server_poller_new (NULL, &error);
  Sock a, b;

  g_assert_no_error (error);
  sock_init (&a, poller);
  sock_init (&b, poller);
  settle ();
  g_assert_cmpuint (a.calls, ==, 0);

  sock_send (&a, "hello");
  settle ();
  g_assert_cmpuint (a.calls, ==, 1);
  g_assert_cmpuint (a.total, ==, 5);
  g_assert_cmpuint (b.calls, ==, 0);

  sock_send (&b, "x");
  sock_send (&a, "yz");
  settle ();
  g_assert_cmpuint (a.calls, ==, 2);
  g_assert_cmpuint (b.calls, ==, 1);
  g_assert_cmpuint (a.total, ==, 7);

  /* A hang-up is reported too: the owner reads the end and removes its
   * own watch while being called. */
  close (b.ends[1]);
  b.ends[1] = -1;
  settle ();
  g_assert_cmpuint (b.calls, ==, 2);
  g_assert_true (b.eof);
  g_assert_null (b.watch);
  g_assert_cmpuint (kf_server_poller_get_size (poller), ==, 1);

  sock_clear (&a);
  sock_clear (&b);
  g_assert_cmpuint (kf_server_poller_get_size (poller), ==, 0);
}

/* An owner that reads only part and says so is called again on the next
 * turns until it has all; a paused watch is not called until it is
 * active again; a scheduled one is called without any bytes. */
static void
test_poller_budget_pause_schedule (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServerPoller) poller = kf_server_poller_new (NULL, &error);
  Sock a;

  g_assert_no_error (error);
  sock_init (&a, poller);
  a.read_per_call = 4;
  sock_send (&a, "0123456789abcdef");
  settle ();
  g_assert_cmpuint (a.total, ==, 16);
  g_assert_cmpuint (a.calls, >=, 4);

  g_assert_true (kf_server_poller_set_active (poller, a.watch, FALSE, &error));
  g_assert_no_error (error);
  a.calls = 0;
  a.read_per_call = 0;
  sock_send (&a, "paused");
  kf_server_poller_schedule (poller, a.watch);
  settle ();
  g_assert_cmpuint (a.calls, ==, 0);

  g_assert_true (kf_server_poller_set_active (poller, a.watch, TRUE, &error));
  g_assert_no_error (error);
  settle ();
  g_assert_cmpuint (a.calls, ==, 1);
  g_assert_cmpuint (a.total, ==, 22);

  kf_server_poller_schedule (poller, a.watch);
  kf_server_poller_schedule (poller, a.watch);
  settle ();
  g_assert_cmpuint (a.calls, ==, 2);

  sock_clear (&a);
}

/* An owner may remove another watch that is ready in the same turn: the
 * other is not called (and nothing freed is touched: run under ASan). */
static void
test_poller_remove_during_turn (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServerPoller) poller = kf_server_poller_new (NULL, &error);
  Sock a, b;

  g_assert_no_error (error);
  sock_init (&a, poller);
  sock_init (&b, poller);
  a.remove_other = &b;
  b.remove_other = &a;
  sock_send (&a, "1");
  sock_send (&b, "2");
  settle ();
  g_assert_cmpuint (a.calls + b.calls, ==, 1);
  g_assert_true ((a.watch == NULL) != (b.watch == NULL));

  sock_clear (&a);
  sock_clear (&b);
}

/* However many sockets are watched, the main context polls one
 * descriptor for them: its poll set does not grow with the clients. */
static void
test_poller_one_descriptor (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServerPoller) poller = kf_server_poller_new (NULL, &error);
  GMainContext *context = g_main_context_default ();
  GPollFD fds[64];
  Sock *socks = g_new0 (Sock, 500);
  gint timeout;
  gint priority;
  gint before, after;

  g_assert_no_error (error);
  g_assert_true (g_main_context_acquire (context));
  g_main_context_prepare (context, &priority);
  before = g_main_context_query (context, G_MAXINT, &timeout, fds, G_N_ELEMENTS (fds));
  g_main_context_check (context, G_MAXINT, fds, MIN (before, (gint) G_N_ELEMENTS (fds)));
  for (guint i = 0; i < 500; i++)
    sock_init (&socks[i], poller);
  g_main_context_prepare (context, &priority);
  after = g_main_context_query (context, G_MAXINT, &timeout, fds, G_N_ELEMENTS (fds));
  g_main_context_check (context, G_MAXINT, fds, MIN (after, (gint) G_N_ELEMENTS (fds)));
  g_main_context_release (context);
  g_test_message ("descriptors polled: %d before, %d with 500 sockets watched", before, after);
  g_assert_cmpint (after, ==, before);
  g_assert_cmpuint (kf_server_poller_get_size (poller), ==, 500);

  /* And each is still reported. */
  sock_send (&socks[250], "x");
  settle ();
  g_assert_cmpuint (socks[250].calls, ==, 1);
  g_assert_cmpuint (socks[249].calls, ==, 0);
  for (guint i = 0; i < 500; i++)
    sock_clear (&socks[i]);
  g_free (socks);
}

/* --- handshake slots ---------------------------------------------------- */

static GString            *handshake_log;
static KfServerHandshakes *handshake_gate;

static void
handshake_started (GObject *owner)
{
  g_string_append_printf (handshake_log, "+%s", (char *) g_object_get_data (owner, "name"));
}

/* As a connection does: unless its thread is late ("late" set), it
 * closes, which releases it (it is no longer there by then). */
static gboolean
handshake_evicted (GObject *owner)
{
  if (g_object_get_data (owner, "late") != NULL)
    return FALSE;
  g_string_append_printf (handshake_log, "-%s", (char *) g_object_get_data (owner, "name"));
  kf_server_handshakes_release (handshake_gate, owner);
  return TRUE;
}

static GObject *
handshake_owner (const char *name)
{
  GObject *owner = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_set_data (owner, "name", (gpointer) name);
  kf_server_handshakes_request (handshake_gate, owner, handshake_started, handshake_evicted);
  return owner;
}

/* Two slots: the third handshake and later ones wait; none is closed
 * before it has run the grace period, then the longest-running go, and
 * their slots go to the newest and the oldest waiting in turn; a slot
 * released goes on; one that leaves while waiting never starts. */
static void
test_handshakes_slots (void)
{
  Clock clock = { 0 };
  GObject *a, *b, *c, *d, *e, *f;

  clock_init (&clock);
  handshake_log = g_string_new (NULL);
  handshake_gate = kf_server_handshakes_new (clock.timers, 2, 250);
  a = handshake_owner ("a");
  clock.now += 1000;
  b = handshake_owner ("b");
  c = handshake_owner ("c");
  d = handshake_owner ("d");
  e = handshake_owner ("e");
  f = handshake_owner ("f");
  g_assert_cmpstr (handshake_log->str, ==, "+a+b");
  g_assert_cmpuint (kf_server_handshakes_get_waiting (handshake_gate), ==, 4);
  kf_server_handshakes_release (handshake_gate, f);
  g_assert_cmpuint (kf_server_handshakes_get_waiting (handshake_gate), ==, 3);

  clock.now += 248999;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 0);
  clock.now += 1;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 1);
  g_assert_cmpstr (handshake_log->str, ==, "+a+b-a+e");
  clock.now += 1000;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 1);
  g_assert_cmpstr (handshake_log->str, ==, "+a+b-a+e-b+c");

  kf_server_handshakes_release (handshake_gate, c);
  g_assert_cmpstr (handshake_log->str, ==, "+a+b-a+e-b+c+d");
  g_assert_cmpuint (kf_server_handshakes_get_running (handshake_gate), ==, 2);
  g_assert_cmpuint (kf_server_handshakes_get_waiting (handshake_gate), ==, 0);
  g_assert_cmpuint (kf_server_timers_get_size (clock.timers), ==, 0);
  kf_server_handshakes_release (handshake_gate, d);
  kf_server_handshakes_release (handshake_gate, e);
  g_assert_cmpuint (kf_server_handshakes_get_running (handshake_gate), ==, 0);

  g_assert_finalize_object (handshake_gate);
  for (GObject **o = (GObject *[]) { a, b, c, d, e, f, NULL }; *o != NULL; o++)
    g_assert_finalize_object (*o);
  g_string_free (handshake_log, TRUE);
  clock_clear (&clock);
}

/* A handshake past its grace period whose thread is late (what it was
 * sent is unread) is not closed but looked at again a quarter of the
 * grace period later; a younger one past it is closed instead. */
static void
test_handshakes_late (void)
{
  Clock clock = { 0 };
  GObject *a, *b, *c, *d;

  clock_init (&clock);
  handshake_log = g_string_new (NULL);
  handshake_gate = kf_server_handshakes_new (clock.timers, 2, 200);
  a = handshake_owner ("a");
  g_object_set_data (a, "late", GINT_TO_POINTER (TRUE));
  clock.now += 1000;
  b = handshake_owner ("b");
  g_object_set_data (b, "late", GINT_TO_POINTER (TRUE));
  c = handshake_owner ("c");
  clock.now += 199000;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 1);
  clock.now += 1000;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 0);
  g_assert_cmpstr (handshake_log->str, ==, "+a+b");

  g_object_set_data (b, "late", NULL);
  clock.now += 48999;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 0);
  clock.now += 1;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 1);
  g_assert_cmpstr (handshake_log->str, ==, "+a+b-b+c");
  d = handshake_owner ("d");
  g_object_set_data (a, "late", NULL);
  g_assert_cmpuint (kf_server_timers_get_size (clock.timers), ==, 1);
  clock.now += 50000;
  g_assert_cmpuint (kf_server_timers_run_due (clock.timers), ==, 1);
  g_assert_cmpstr (handshake_log->str, ==, "+a+b-b+c-a+d");
  kf_server_handshakes_release (handshake_gate, c);
  kf_server_handshakes_release (handshake_gate, d);

  g_assert_finalize_object (handshake_gate);
  for (GObject **o = (GObject *[]) { a, b, c, d, NULL }; *o != NULL; o++)
    g_assert_finalize_object (*o);
  g_string_free (handshake_log, TRUE);
  clock_clear (&clock);
}

/* For a new connection the longest-running handshake that waits for its
 * peer is closed at once, however young, and its slot goes on; none is
 * when every running one's thread is late. */
static void
test_handshakes_evict_stalled (void)
{
  Clock clock = { 0 };
  GObject *a, *b, *c;

  clock_init (&clock);
  handshake_log = g_string_new (NULL);
  handshake_gate = kf_server_handshakes_new (clock.timers, 2, 250);
  a = handshake_owner ("a");
  g_object_set_data (a, "late", GINT_TO_POINTER (TRUE));
  b = handshake_owner ("b");
  c = handshake_owner ("c");
  g_assert_true (kf_server_handshakes_evict_stalled (handshake_gate));
  g_assert_cmpstr (handshake_log->str, ==, "+a+b-b+c");
  g_object_set_data (c, "late", GINT_TO_POINTER (TRUE));
  g_assert_false (kf_server_handshakes_evict_stalled (handshake_gate));
  g_assert_cmpuint (kf_server_handshakes_get_running (handshake_gate), ==, 2);
  kf_server_handshakes_release (handshake_gate, a);
  kf_server_handshakes_release (handshake_gate, c);
  g_assert_cmpuint (kf_server_timers_get_size (clock.timers), ==, 0);

  g_assert_finalize_object (handshake_gate);
  for (GObject **o = (GObject *[]) { a, b, c, NULL }; *o != NULL; o++)
    g_assert_finalize_object (*o);
  g_string_free (handshake_log, TRUE);
  clock_clear (&clock);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/timers/order", test_timers_order);
  g_test_add_func ("/server/timers/reentrant", test_timers_reentrant);
  g_test_add_func ("/server/timers/main-loop", test_timers_main_loop);
  g_test_add_func ("/server/poller/readable", test_poller_readable);
  g_test_add_func ("/server/poller/budget-pause-schedule", test_poller_budget_pause_schedule);
  g_test_add_func ("/server/poller/remove-during-turn", test_poller_remove_during_turn);
  g_test_add_func ("/server/poller/one-descriptor", test_poller_one_descriptor);
  g_test_add_func ("/server/handshakes/slots", test_handshakes_slots);
  g_test_add_func ("/server/handshakes/late", test_handshakes_late);
  g_test_add_func ("/server/handshakes/evict-stalled", test_handshakes_evict_stalled);

  return g_test_run ();
}
