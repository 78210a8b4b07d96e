/* kf-server-admin.c: the administrator's commands on the lasting state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   keyferry-server identities list [--json]
 *   keyferry-server identities add CODE-or-KEY
 *   keyferry-server identities remove CODE-or-KEY
 *   keyferry-server names list [--json]
 *   keyferry-server names release NAME
 *   keyferry-server enrolment open|close|status [--json]
 *
 * Each opens the key manager's database (kf-server-state.c) in its state
 * directory and changes or prints it.  A running key manager needs no
 * signal: it reads the database at every client's hello, and SQLite's
 * locking keeps the two writers apart.  A change is printed as one line
 * on standard output; exit status 0 on success, 1 when the change cannot
 * be made (the error on standard error), 2 for a bad command.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>

#include "kf-hex.h"
#include "kf-identity.h"
#include "kf-server-admin.h"
#include "kf-server-log.h"
#include "kf-server-state.h"
#include "kf-untrusted.h"

#define EXIT_USAGE 2

/* Where the packaged service keeps its state (systemd's StateDirectory=). */
#define SERVICE_STATE_DIR "/var/lib/keyferry-server"

typedef int (*Command) (KfServerState *state, const char *arg, gboolean json);

/* Prints @text (taken) as one line on standard output. */
static void
say (char *text)
{
  g_print ("%s\n", text);
  g_free (text);
}

static int
failed (const GError *error)
{
  g_printerr ("keyferry-server: %s\n", error->message);
  return EXIT_FAILURE;
}

/* "2026-12-06 21:00", or "-" for never. */
static char *
format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = NULL;

  if (unix_seconds <= 0)
    return g_strdup ("-");
  time = g_date_time_new_from_unix_local (unix_seconds);
  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

/* @names joined by ", ", each cleaned for a terminal. */
static char *
join_names (char **names)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autofree char *clean = kf_untrusted_clean (names[i], -1);

      g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", clean);
    }
  return g_string_free (out, FALSE);
}

static void
print_identity_json (GString                     *out,
                     const KfServerStateIdentity *identity)
{
  g_string_append (out, "{\"code\":");
  kf_server_append_json (out, identity->code, -1);
  g_string_append (out, ",\"public_key\":");
  if (identity->public_key != NULL)
    kf_server_append_json (out, identity->public_key, -1);
  else
    g_string_append (out, "null");
  g_string_append_printf (out, ",\"first_seen\":%" G_GINT64_FORMAT
                          ",\"last_seen\":%" G_GINT64_FORMAT ",\"added_by_admin\":%s,\"names\":[",
                          identity->first_seen, identity->last_seen,
                          identity->added_by_admin ? "true" : "false");
  for (guint i = 0; identity->names[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      kf_server_append_json (out, identity->names[i], -1);
    }
  g_string_append (out, "]}");
}

static int
identities_list (KfServerState *state,
                 const char    *arg,
                 gboolean       json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = kf_server_state_list_identities (state, &error);
  g_autoptr(GString) out = g_string_new (NULL);

  if (list == NULL)
    return failed (error);
  if (json)
    {
      g_string_append (out, "[");
      for (guint i = 0; i < list->len; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          print_identity_json (out, list->pdata[i]);
        }
      g_print ("%s]\n", out->str);
      return EXIT_SUCCESS;
    }
  g_print ("%-19s  %-16s  %-16s  %-5s  %s\n", _("IDENTITY"), _("FIRST SEEN"), _("LAST SEEN"),
           _("ADDED"), _("NAMES"));
  for (guint i = 0; i < list->len; i++)
    {
      KfServerStateIdentity *identity = list->pdata[i];
      g_autofree char *first = format_time (identity->first_seen);
      g_autofree char *last = format_time (identity->last_seen);
      g_autofree char *names = join_names (identity->names);

      g_print ("%-19s  %-16s  %-16s  %-5s  %s\n", identity->code, first, last,
               identity->added_by_admin ? _("admin") : "-", names);
    }
  return EXIT_SUCCESS;
}

/* @arg as an identity code, and as a key (hex) when it is one.  When it
 * is neither, says so on standard error and returns %FALSE: the command
 * was misused (EXIT_USAGE). */
static gboolean
parse_identity_or_usage (const char  *arg,
                         char       **code,
                         char       **public_key)
{
  guint8 key[KF_IDENTITY_PUBLIC_KEY_SIZE];
  g_autofree char *message = NULL;

  if (strlen (arg) == 2 * sizeof key && kf_hex_decode (arg, key, sizeof key, NULL))
    {
      *public_key = kf_hex_encode (key, sizeof key);
      *code = kf_identity_code_for_key (key);
      return TRUE;
    }
  *public_key = NULL;
  *code = kf_identity_code_normalize (arg, NULL);
  if (*code != NULL)
    return TRUE;
  message = g_strdup_printf (_("“%s” is neither an identity code (ABCD-EFGH-IJKL-MNOP, as "
                               "keyferry-cli identity prints it) nor a public key (64 "
                               "hexadecimal digits)"), arg);
  g_printerr ("keyferry-server: %s\n", message);
  return FALSE;
}

/* Adds the identity @arg names (a code or a key), or removes it. */
static int
identities_change (KfServerState *state,
                   const char    *arg,
                   gboolean       add)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *key = NULL;
  gboolean changed;

  if (!parse_identity_or_usage (arg, &code, &key))
    return EXIT_USAGE;
  changed = add ? kf_server_state_add_identity (state, key, code, &error)
                : kf_server_state_remove_identity (state, code, &error);
  if (!changed)
    return failed (error);
  if (add)
    say (g_strdup_printf (_("Added the identity %s: it is admitted even while enrolment is "
                            "closed"), code));
  else
    say (g_strdup_printf (_("Removed the identity %s and released its names"), code));
  return EXIT_SUCCESS;
}

static int
identities_add (KfServerState *state,
                const char    *arg,
                gboolean       json)
{
  return identities_change (state, arg, TRUE);
}

static int
identities_remove (KfServerState *state,
                   const char    *arg,
                   gboolean       json)
{
  return identities_change (state, arg, FALSE);
}

static int
names_list (KfServerState *state,
            const char    *arg,
            gboolean       json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = kf_server_state_list_names (state, &error);
  g_autoptr(GString) out = g_string_new ("[");

  if (list == NULL)
    return failed (error);
  if (!json)
    g_print ("%-19s  %-16s  %s\n", _("OWNER"), _("REGISTERED"), _("NAME"));
  for (guint i = 0; i < list->len; i++)
    {
      KfServerStateName *name = list->pdata[i];
      g_autofree char *when = format_time (name->registered_at);
      g_autofree char *clean = kf_untrusted_clean (name->name, -1);

      if (!json)
        {
          g_print ("%-19s  %-16s  %s\n", name->owner_code, when, clean);
          continue;
        }
      g_string_append (out, i > 0 ? ",{\"name\":" : "{\"name\":");
      kf_server_append_json (out, name->name, -1);
      g_string_append (out, ",\"folded\":");
      kf_server_append_json (out, name->folded, -1);
      g_string_append (out, ",\"owner\":");
      kf_server_append_json (out, name->owner_code, -1);
      g_string_append_printf (out, ",\"registered\":%" G_GINT64_FORMAT "}", name->registered_at);
    }
  if (json)
    g_print ("%s]\n", out->str);
  return EXIT_SUCCESS;
}

static int
names_release (KfServerState *state,
               const char    *arg,
               gboolean       json)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *clean = kf_untrusted_clean (arg, -1);

  if (!kf_server_state_release_name (state, arg, &error))
    return failed (error);
  say (g_strdup_printf (_("Released the name “%s”: the next identity to ask for it gets it"),
                       clean));
  return EXIT_SUCCESS;
}

static int
enrolment_set (KfServerState *state,
               gboolean       open)
{
  g_autoptr(GError) error = NULL;

  if (!kf_server_state_set_enrolment_open (state, open, &error))
    return failed (error);
  g_print ("%s\n", open ? _("Enrolment is open: any new identity is admitted and remembered")
                        : _("Enrolment is closed: only known identities are admitted"));
  return EXIT_SUCCESS;
}

static int
enrolment_open (KfServerState *state,
                const char    *arg,
                gboolean       json)
{
  return enrolment_set (state, TRUE);
}

static int
enrolment_close (KfServerState *state,
                 const char    *arg,
                 gboolean       json)
{
  return enrolment_set (state, FALSE);
}

static int
enrolment_status (KfServerState *state,
                  const char    *arg,
                  gboolean       json)
{
  g_autoptr(GError) error = NULL;
  gboolean open = kf_server_state_get_enrolment_open (state, &error);

  if (error != NULL)
    return failed (error);
  if (json)
    g_print ("{\"enrolment\":\"%s\"}\n", open ? "open" : "closed");
  else
    g_print ("%s\n", open ? _("Enrolment is open: any new identity is admitted and remembered")
                          : _("Enrolment is closed: only known identities are admitted"));
  return EXIT_SUCCESS;
}

static const struct
{
  const char *noun;
  const char *verb;
  gboolean    takes_arg;
  gboolean    takes_json;
  Command     run;
} commands[] = {
  { "identities", "list", FALSE, TRUE, identities_list },
  { "identities", "add", TRUE, FALSE, identities_add },
  { "identities", "remove", TRUE, FALSE, identities_remove },
  { "names", "list", FALSE, TRUE, names_list },
  { "names", "release", TRUE, FALSE, names_release },
  { "enrolment", "open", FALSE, FALSE, enrolment_open },
  { "enrolment", "close", FALSE, FALSE, enrolment_close },
  { "enrolment", "status", FALSE, TRUE, enrolment_status },
};

/*
 * kf_server_admin_is_command:
 *
 * Returns: %TRUE when @word starts an administrator's command
 * (`identities`, `names`, `enrolment`).
 */
gboolean
kf_server_admin_is_command (const char *word)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_strcmp0 (word, commands[i].noun) == 0)
      return TRUE;
  return FALSE;
}

/*
 * kf_server_admin_state_dir:
 * @state_dir: the state directory the options chose
 * @chosen: whether --state-dir, --config or $STATE_DIRECTORY chose it
 *
 * Returns: (transfer full): where the commands look.  As the key manager
 * chooses, except that when nothing chose it and the packaged service's
 * database is there, that one: root administering the service.
 */
char *
kf_server_admin_state_dir (const char *state_dir,
                           gboolean    chosen)
{
  g_autofree char *service = g_build_filename (SERVICE_STATE_DIR, KF_SERVER_STATE_FILE, NULL);

  if (!chosen && g_file_test (service, G_FILE_TEST_EXISTS))
    return g_strdup (SERVICE_STATE_DIR);
  return g_strdup (state_dir);
}

static int
usage (const char *message)
{
  g_printerr ("keyferry-server: %s\n", message);
  g_printerr ("%s\n", _("Usage: keyferry-server identities list|add CODE-or-KEY|remove CODE-or-KEY, "
                        "keyferry-server names list|release NAME, "
                        "keyferry-server enrolment open|close|status (see keyferry-server --help)"));
  return EXIT_USAGE;
}

/*
 * kf_server_admin_run:
 * @state_dir: the key manager's state directory
 * @args: the command's words, %NULL-terminated: noun, verb, argument
 * @json: --json was given
 *
 * Runs one administrator's command.  Returns the exit status.
 */
int
kf_server_admin_run (const char         *state_dir,
                     const char * const *args,
                     gboolean            json)
{
  guint n = args != NULL ? g_strv_length ((char **) args) : 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(KfServerState) state = NULL;

  g_return_val_if_fail (state_dir != NULL, EXIT_USAGE);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (n < 2 || strcmp (args[0], commands[i].noun) != 0
          || strcmp (args[1], commands[i].verb) != 0)
        continue;
      if (n != (commands[i].takes_arg ? 3u : 2u))
        return usage (commands[i].takes_arg ? _("this command needs one argument")
                                            : _("this command takes no argument"));
      if (json && !commands[i].takes_json)
        return usage (_("--json goes with --status, identities list, names list and "
                        "enrolment status"));
      state = kf_server_state_open (state_dir, &error);
      if (state == NULL)
        return failed (error);
      return commands[i].run (state, commands[i].takes_arg ? args[2] : NULL, json);
    }
  return usage (_("unknown command"));
}
