/* fuzz-server-sm.c: the key manager's state machine, without sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Four detached clients (kf_server_client_new_detached(): no socket, no
 * TLS; lines in through kf_server_client_receive_line(), lines out to a
 * callback) talk to a real KfServer: the command handlers, the registry,
 * the sessions and their keys, the admission check, the deadlines and
 * the idle timeout all run as in the key manager, with no I/O, tens of
 * thousands of steps a second.  The server's deadline queue runs on a
 * clock of the target's, so timeouts fire exactly when an input says.
 *
 * Input: byte 0 picks the server (bit 0: it wants the passphrase
 * "sesame"; bit 2: tight limits, 2 clients and 1 greeting per address)
 * and whether the four clients start greeted (bit 1).  Then steps, one a
 * line:
 *
 *   0TEXT .. 3TEXT   client 0..3 sends TEXT as a line: "@0".."@3" stand
 *                    for those clients' ids, "confirm *" for the right
 *                    key confirmation for the last `ev key` it got, and
 *                    "hello NAME *" for `hello 2 NAME KEY SIGNATURE`, the
 *                    client's own identity (client N's is made from seed
 *                    N: two slots never share one) signed over its last
 *                    greeting's challenge and a detached client's
 *                    exporter (32 zero bytes)
 *   xN               client N's connection drops
 *   nN               client N connects again, as a new client
 *   tMS              the clock moves on MS milliseconds (at most 10^7)
 *                    and every timer then due fires
 *   w                the passphrase checks under way finish
 *   anything else    the first byte modulo 4 picks a client that sends
 *                    the rest
 *
 * After every step each line the server sent must parse as a server line
 * and kf_test_server_check() must hold (a client in at most one
 * session, the waiting list only waiting clients...).  At the end all
 * clients drop; then the registry must be empty, no timer armed, and no
 * client or session object alive.
 *
 * KF_FUZZ_TRACE=1 in the environment prints the conversation on stderr,
 * to see what an input does.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kf-fuzz.h"
#include "kf-hex.h"
#include "kf-km-hello.h"
#include "kf-server-private.h"
#include "kf-test-km-client.h"
#include "kf-test-server-check.h"

#define N_CLIENTS     4
#define MAX_STEPS     256
#define MAX_ADVANCE   10000000   /* ms */
#define WAIT_US       (10 * G_TIME_SPAN_SECOND)
#define ADDRESS       "192.0.2.1"
#define PASSPHRASE    "sesame"

typedef struct
{
  KfServerClient    *client;     /* ours: a reference, while connected */
  KfProtocolMessage *key;        /* the last ev key it got */
  guint8             challenge[KF_PROTOCOL_CHALLENGE_SIZE];  /* of its last greeting */
  guint              index;
} Slot;

static KfIdentity *identities[N_CLIENTS];

static KfServer *servers[4];
static char *state_dir;
static gint64 now_us = G_TIME_SPAN_SECOND;
static GHashTable *sessions;     /* sessions seen and not finalized yet */
static gboolean trace;

/* The audit line of every session is logged with g_log_structured(),
 * which the handlers of kf-fuzz.c do not see; this drops it (and any
 * other message or debug line) and keeps warnings and criticals. */
static GLogWriterOutput
quiet_writer (GLogLevelFlags   log_level,
              const GLogField *fields,
              gsize            n_fields,
              gpointer         user_data)
{
  if (log_level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static gint64
fuzz_clock (gpointer user_data)
{
  return now_us;
}

static void
remove_state_dir (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    g_clear_object (&servers[i]);
  if (state_dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (state_dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (state_dir, name, NULL);

          g_unlink (path);
        }
      g_rmdir (state_dir);
      g_clear_pointer (&state_dir, g_free);
    }
}

/* The server for @flags, made on first use (its certificate is made once,
 * in a state directory removed at exit). */
static KfServer *
server_for (guint8 flags)
{
  guint which = (flags & 1) | ((flags >> 1) & 2);
  g_auto(KfServerConfig) config = { 0 };
  g_autoptr(GError) error = NULL;

  if (servers[which] != NULL)
    return servers[which];
  if (state_dir == NULL)
    {
      state_dir = g_dir_make_tmp ("kf-fuzz-server-sm-XXXXXX", &error);
      kf_fuzz_check (state_dir != NULL, "a state directory");
      atexit (remove_state_dir);
      sessions = g_hash_table_new (NULL, NULL);
      trace = g_getenv ("KF_FUZZ_TRACE") != NULL;
      g_log_set_writer_func (quiet_writer, NULL, NULL);
    }
  kf_server_config_init (&config);
  g_free (config.state_dir);
  config.state_dir = g_strdup (state_dir);
  config.audit_log = g_strdup ("/dev/null");
  config.idle_timeout_ms = 60000;
  /* The smallest Argon2id: the check is what is fuzzed, not its cost. */
  config.kdf_iterations = 1;
  config.kdf_memory_kib = 8;
  config.kdf_parallelism = 1;
  config.auth_penalty_ms = 0;
  config.auth_penalty_max_ms = 0;
  if (which & 2)
    {
      config.max_clients = 2;
      config.max_pending_per_address = 1;
    }
  servers[which] = kf_server_new (&config, (which & 1) ? PASSPHRASE : NULL, &error);
  kf_fuzz_check (servers[which] != NULL, "the key manager starts");
  kf_server_timers_set_clock (_kf_server_get_timers (servers[which]), fuzz_clock, NULL);
  return servers[which];
}

/* Every line the server sends: it must parse, and only go to clients
 * that are not closed; an ev key is kept for "confirm *". */
static void
sink (KfServerClient *client,
      const char     *line,
      gsize           len,
      gpointer        user_data)
{
  Slot *slot = user_data;
  g_autofree char *text = NULL;
  KfProtocolMessage *msg;

  kf_fuzz_check (len > 0 && line[len - 1] == '\n', "every line ends with LF");
  kf_fuzz_check (kf_server_client_get_phase (client) != KF_CLIENT_CLOSED,
                 "nothing is sent to a closed client");
  text = g_strndup (line, len - 1);
  if (trace)
    g_printerr ("  -> %" G_GUINT64_FORMAT ": %s\n", kf_server_client_get_id (client), text);
  msg = kf_protocol_parse_server_line (text, NULL);
  kf_fuzz_check (msg != NULL, "every line the key manager sends parses");
  if (msg->type == KF_MSG_GREETING && slot->client == client)
    memcpy (slot->challenge, msg->challenge, sizeof slot->challenge);
  if (msg->type == KF_MSG_EV_KEY && slot->client == client)
    {
      g_clear_pointer (&slot->key, kf_protocol_message_free);
      slot->key = msg;
      return;
    }
  kf_protocol_message_free (msg);
}

static void
session_gone (gpointer  data,
              GObject  *where_the_object_was)
{
  g_hash_table_remove (sessions, where_the_object_was);
}

/* Remembers every session a client is in, to see them all go. */
static void
track_sessions (Slot *slots)
{
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      KfServerSession *session;

      if (slots[i].client == NULL)
        continue;
      session = kf_server_client_get_session (slots[i].client);
      if (session != NULL && g_hash_table_add (sessions, session))
        g_object_weak_ref (G_OBJECT (session), session_gone, NULL);
    }
}

static void
drop (Slot *slot)
{
  if (slot->client == NULL)
    return;
  kf_server_client_close (slot->client, FALSE);
  g_clear_object (&slot->client);
  g_clear_pointer (&slot->key, kf_protocol_message_free);
}

static void
connect_slot (KfServer *server,
              Slot     *slot)
{
  drop (slot);
  slot->client = kf_server_client_new_detached (ADDRESS, _kf_server_get_config (server),
                                                _kf_server_get_timers (server), sink, slot);
  if (!_kf_server_add_client (server, slot->client))
    g_clear_object (&slot->client);
}

/* Lets the passphrase checks of the clients still connected finish
 * (they run in threads and complete on the main context). */
static void
finish_checks (Slot *slots)
{
  gint64 give_up = g_get_monotonic_time () + WAIT_US;

  for (guint i = 0; i < N_CLIENTS; i++)
    while (slots[i].client != NULL && kf_server_client_get_reading_held (slots[i].client)
           && kf_server_client_get_phase (slots[i].client) != KF_CLIENT_CLOSED)
      {
        kf_fuzz_check (g_get_monotonic_time () < give_up, "a passphrase check finishes");
        g_main_context_iteration (NULL, TRUE);
      }
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Drops every client and waits until each object is freed: a passphrase
 * check cancelled by a drop lets go of its client when it completes. */
static void
drop_all (Slot *slots)
{
  GObject *weak[N_CLIENTS] = { NULL };
  gint64 give_up = g_get_monotonic_time () + WAIT_US;
  gboolean alive;

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      if (slots[i].client != NULL)
        g_set_weak_pointer (&weak[i], G_OBJECT (slots[i].client));
      drop (&slots[i]);
    }
  do
    {
      alive = FALSE;
      for (guint i = 0; i < N_CLIENTS; i++)
        alive |= weak[i] != NULL;
      if (alive)
        {
          kf_fuzz_check (g_get_monotonic_time () < give_up, "a client that left is freed");
          if (!g_main_context_iteration (NULL, FALSE))
            g_usleep (1000);
        }
    }
  while (alive);
}

/* `hello 2 NAME KEY SIGNATURE` for "hello NAME *" from @slot (NAME
 * escaped as on the wire; a broken escape is signed as it is). */
static char *
signed_hello (Slot       *slot,
              const char *escaped)
{
  guint8 exporter[KF_KM_HELLO_EXPORTER_SIZE] = { 0 };
  guint8 signature[KF_IDENTITY_SIGNATURE_SIZE];
  g_autofree char *key = NULL;
  g_autofree char *signature_hex = NULL;
  g_autofree char *unescaped = kf_protocol_unescape (escaped, NULL);
  const char *name = unescaped != NULL ? unescaped : escaped;

  if (identities[slot->index] == NULL)
    identities[slot->index] = kf_identity_new_from_seed (
      (const guint8[KF_IDENTITY_SEED_SIZE]) { (guint8) (slot->index + 1) });
  kf_km_hello_sign (identities[slot->index], slot->challenge, exporter, name, signature);
  key = kf_hex_encode (kf_identity_get_public_key (identities[slot->index]),
                       KF_IDENTITY_PUBLIC_KEY_SIZE);
  signature_hex = kf_hex_encode (signature, sizeof signature);
  return g_strdup_printf ("hello 2 %s %s %s", escaped, key, signature_hex);
}

/* Sends @text (@len bytes) from @slot with its stand-ins replaced. */
static void
send_text (Slot         *slots,
           Slot         *slot,
           const guint8 *text,
           gsize         len)
{
  g_autoptr(GString) line = g_string_sized_new (len + 32);

  if (slot->client == NULL)
    return;
  if (len == 9 && memcmp (text, "confirm *", 9) == 0 && slot->key != NULL)
    {
      g_autofree char *hex = kf_test_km_confirmation (slot->key);

      g_string_append_printf (line, "confirm %s", hex);
    }
  else if (len > 8 && memcmp (text, "hello ", 6) == 0 && memcmp (text + len - 2, " *", 2) == 0
           && memchr (text + 6, ' ', len - 8) == NULL && g_utf8_validate ((const char *) text, len, NULL))
    {
      g_autofree char *name = g_strndup ((const char *) text + 6, len - 8);
      g_autofree char *hello = signed_hello (slot, name);

      g_string_append (line, hello);
    }
  else
    for (gsize i = 0; i < len; i++)
      {
        if (text[i] == '@' && i + 1 < len && text[i + 1] >= '0'
            && text[i + 1] < '0' + N_CLIENTS)
          {
            Slot *other = &slots[text[i + 1] - '0'];

            g_string_append_printf (line, "%" G_GUINT64_FORMAT,
                                    other->client != NULL
                                    ? kf_server_client_get_id (other->client) : 0);
            i++;
          }
        else
          g_string_append_c (line, (char) text[i]);
      }
  kf_server_client_receive_line (slot->client, line->str, line->len);
}

static void
check (KfServer *server)
{
  g_autoptr(GError) error = NULL;

  if (!kf_test_server_check (server, &error))
    {
      g_printerr ("%s\n", error->message);
      kf_fuzz_check (FALSE, "the registry, the sessions and the clients agree");
    }
}

/* The client a step's second byte names. */
static Slot *
named (Slot         *slots,
       const guint8 *step,
       gsize         len)
{
  return &slots[len > 1 ? step[1] % N_CLIENTS : 0];
}

static void
advance (KfServer     *server,
         const guint8 *digits,
         gsize         len)
{
  guint64 ms = 0;

  for (gsize i = 0; i < len && i < 8 && g_ascii_isdigit (digits[i]); i++)
    ms = ms * 10 + (digits[i] - '0');
  now_us += (gint64) MIN (ms, MAX_ADVANCE) * G_TIME_SPAN_MILLISECOND;
  kf_server_timers_run_due (_kf_server_get_timers (server));
}

static void
run_step (KfServer     *server,
          Slot         *slots,
          const guint8 *step,
          gsize         len)
{
  switch (step[0])
    {
    case '0': case '1': case '2': case '3':
      send_text (slots, &slots[step[0] - '0'], step + 1, len - 1);
      break;
    case 'x':
      drop (named (slots, step, len));
      break;
    case 'n':
      connect_slot (server, named (slots, step, len));
      break;
    case 't':
      advance (server, step + 1, len - 1);
      break;
    case 'w':
      finish_checks (slots);
      break;
    default:
      send_text (slots, &slots[step[0] % N_CLIENTS], step + 1, len - 1);
      break;
    }
}

/* Greets every client as a real one would. */
static void
greet (KfServer *server,
       Slot     *slots,
       gboolean  passphrase)
{
  static const char *hellos[N_CLIENTS] = {
    "hello alice *", "hello bob *", "hello carol *", "hello dave *",
  };

  for (guint i = 0; i < N_CLIENTS; i++)
    if (passphrase)
      send_text (slots, &slots[i], (const guint8 *) "auth " PASSPHRASE,
                 strlen ("auth " PASSPHRASE));
  finish_checks (slots);
  for (guint i = 0; i < N_CLIENTS; i++)
    send_text (slots, &slots[i], (const guint8 *) hellos[i], strlen (hellos[i]));
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  Slot slots[N_CLIENTS] = { { NULL, NULL } };
  const guint8 *p, *end = data + size;
  KfServer *server;

  if (size < 1)
    return 0;
  server = server_for (data[0]);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      slots[i].index = i;
      connect_slot (server, &slots[i]);
    }
  if (data[0] & 2)
    greet (server, slots, (data[0] & 1) != 0);
  track_sessions (slots);
  check (server);

  p = data + 1;
  for (guint n = 0; n < MAX_STEPS && p < end; n++)
    {
      const guint8 *lf = memchr (p, '\n', end - p);
      const guint8 *stop = lf != NULL ? lf : end;

      if (trace)
        g_printerr ("%.*s\n", (int) (stop - p), p);
      if (stop > p)
        run_step (server, slots, p, stop - p);
      track_sessions (slots);
      check (server);
      p = lf != NULL ? lf + 1 : end;
    }

  finish_checks (slots);
  drop_all (slots);
  check (server);
  kf_fuzz_check (kf_server_get_n_clients (server) == 0, "the registry is empty at the end");
  kf_fuzz_check (g_hash_table_size (sessions) == 0, "no session outlives its clients");
  kf_fuzz_check (kf_server_timers_get_size (_kf_server_get_timers (server)) == 0,
                 "no timer outlives its client or session");
  return 0;
}
