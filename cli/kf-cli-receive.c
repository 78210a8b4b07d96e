/* kf-cli-receive.c: step 9, the receiver's y/n and where to save
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The offer is shown (sender, name, plain and encrypted size, mode; for a
 * tree the counts and the top-level names); on yes the user picks a name,
 * the sanitised suggested one by default, and an existing file is
 * overwritten only when the user says so; a tree goes into a folder the
 * user names, --output by default.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kf-cli-describe.h"
#include "kf-cli-input.h"
#include "kf-cli-output.h"
#include "kf-cli-receive.h"

typedef struct
{
  KfCliApp       *app;
  KfOffer        *offer;
  GFile          *dir;
  GFile          *target;
  KfCliOfferDone  done;
} Question;

static void ask_save_as (Question *q);
static void ask_folder (Question *q);

static void
question_free (Question *q)
{
  g_clear_object (&q->offer);
  g_clear_object (&q->dir);
  g_clear_object (&q->target);
  g_free (q);
}

static void
finish (Question *q)
{
  KfCliOfferDone done = q->done;
  KfCliApp *app = q->app;

  question_free (q);
  if (done != NULL)
    done (app);
}

static void
accept_into (Question *q,
             GFile    *target,
             gboolean  overwrite)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_file_get_path (target);

  if (!kf_client_accept_offer (q->app->client, target, overwrite, &error))
    {
      kf_cli_error ("%s", error->message);
      ask_save_as (q);
      return;
    }
  kf_cli_json_event ("accepted", "file", path, NULL);
  kf_cli_print (_("Receiving into %s…"), path);
  finish (q);
}

static void
on_overwrite_answer (const char *answer,
                     gpointer    user_data)
{
  Question *q = user_data;

  if (kf_cli_input_is_yes (answer))
    accept_into (q, q->target, TRUE);
  else if (answer == NULL)
    {
      kf_client_decline_offer (q->app->client);
      finish (q);
    }
  else
    ask_save_as (q);
}

static void
on_save_as (const char *line,
            gpointer    user_data)
{
  Question *q = user_data;
  const char *name = (line == NULL || *line == '\0') ? kf_offer_get_file_name (q->offer) : line;

  if (line == NULL)
    {
      kf_client_decline_offer (q->app->client);
      finish (q);
      return;
    }

  g_clear_object (&q->target);
  q->target = g_file_resolve_relative_path (q->dir, name);
  if (g_file_query_exists (q->target, NULL))
    {
      g_autofree char *path = g_file_get_path (q->target);

      kf_cli_prompt_printf (_("%s exists. Overwrite it? [y/N] "), path);
      kf_cli_input_read_line (on_overwrite_answer, q);
      return;
    }
  accept_into (q, q->target, FALSE);
}

static void
ask_save_as (Question *q)
{
  kf_cli_prompt_printf (_("Save as [%s]: "), kf_offer_get_file_name (q->offer));
  kf_cli_input_read_line (on_save_as, q);
}

/* A tree: into the folder the user names (the --output one by default). */
static void
on_folder (const char *line,
           gpointer    user_data)
{
  Question *q = user_data;
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (line == NULL)
    {
      kf_client_decline_offer (q->app->client);
      finish (q);
      return;
    }
  folder = *line == '\0' ? g_object_ref (q->dir) : g_file_new_for_commandline_arg (line);
  path = g_file_get_path (folder);
  if (!kf_client_accept_offer (q->app->client, folder, q->app->overwrite, &error))
    {
      kf_cli_error ("%s", error->message);
      ask_folder (q);
      return;
    }
  kf_cli_json_event ("accepted", "folder", path, NULL);
  kf_cli_print (_("Receiving into the folder %s…"), path);
  finish (q);
}

static void
ask_folder (Question *q)
{
  g_autofree char *path = g_file_get_path (q->dir);

  kf_cli_prompt_printf (_("Save into folder [%s]: "), path);
  kf_cli_input_read_line (on_folder, q);
}

static void
on_blocked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree char *name = user_data;
  g_autoptr(GError) error = NULL;

  if (!kf_client_block_finish (KF_CLIENT (source), result, &error))
    kf_cli_error (_("could not block %s: %s"), name, error->message);
}

/* `block`: declines, and asks the key manager to keep this sender's
 * identity from pairing with us again while we stay connected. */
static void
block_sender (Question *q)
{
  const char *name = kf_offer_get_sender_name (q->offer);
  const guint8 *key = kf_offer_get_sender_key (q->offer);

  if (key != NULL)
    {
      kf_client_block_async (q->app->client, key, NULL, on_blocked, g_strdup (name));
      kf_cli_json_event ("blocked", "name", name, "code", kf_offer_get_sender_code (q->offer),
                         NULL);
      /* Translators: a name, an identity code */
      kf_cli_print (_("Blocked %s (identity %s) until you leave the key manager."), name,
                    kf_offer_get_sender_code (q->offer));
    }
  kf_cli_json_event ("declined", NULL);
  kf_cli_print ("%s", _("Declined."));
  kf_client_decline_offer (q->app->client);
  finish (q);
}

static void
on_accept_answer (const char *answer,
                  gpointer    user_data)
{
  Question *q = user_data;

  if (answer != NULL && g_ascii_strcasecmp (answer, "block") == 0)
    {
      block_sender (q);
      return;
    }

  if (kf_cli_input_is_yes (answer) && kf_offer_get_is_tree (q->offer))
    {
      ask_folder (q);
      return;
    }
  if (kf_cli_input_is_yes (answer))
    {
      ask_save_as (q);
      return;
    }
  if (answer != NULL && *answer != '\0' && !kf_cli_input_is_no (answer))
    {
      kf_cli_prompt (_("Please answer y or n: "));
      kf_cli_input_read_line (on_accept_answer, q);
      return;
    }
  kf_cli_json_event ("declined", NULL);
  kf_cli_print ("%s", _("Declined."));
  kf_client_decline_offer (q->app->client);
  finish (q);
}

/*
 * kf_cli_receive_ask:
 * @output_dir: where relative names are saved; NULL for the current folder
 * @done: called once the offer was accepted or declined
 *
 * Shows @offer and asks whether to accept it and where to save it.
 */
void
kf_cli_receive_ask (KfCliApp       *app,
                    KfOffer        *offer,
                    const char     *output_dir,
                    KfCliOfferDone  done)
{
  Question *q = g_new0 (Question, 1);
  g_autofree char *text = kf_cli_describe_offer (offer);

  q->app = app;
  q->offer = g_object_ref (offer);
  q->dir = g_file_new_for_commandline_arg (output_dir ? output_dir : ".");
  q->done = done;

  kf_cli_progress_done ();
  kf_cli_print ("%s", text);
  if (kf_offer_get_sender_key (offer) != NULL)
    kf_cli_print ("%s", _("Type “block” to decline and keep this sender from choosing you again "
                          "until you leave."));
  if (kf_cli_report_peer_identity (app->client, kf_offer_get_sender_name (offer),
                                   kf_offer_get_sender_key (offer), NULL) == KF_CONTACT_CHANGED)
    kf_cli_prompt (_("Accept it anyway? [y/n] "));
  else
    kf_cli_prompt (_("Accept? [y/n] "));
  kf_cli_input_read_line (on_accept_answer, q);
}

/*
 * kf_cli_unique_file:
 *
 * Returns: @dir/@name, or when that exists "name (2).ext", "name (3).ext"…
 * the first that does not.
 */
GFile *
kf_cli_unique_file (GFile      *dir,
                    const char *name)
{
  g_autofree char *stem = NULL;
  const char *dot = strrchr (name, '.');
  const char *ext = (dot != NULL && dot != name) ? dot : "";
  GFile *file = g_file_get_child (dir, name);

  stem = g_strndup (name, (gsize) (ext[0] ? ext - name : (gssize) strlen (name)));
  for (guint n = 2; g_file_query_exists (file, NULL) && n < 10000; n++)
    {
      g_autofree char *candidate = g_strdup_printf ("%s (%u)%s", stem, n, ext);

      g_object_unref (file);
      file = g_file_get_child (dir, candidate);
    }

  return file;
}

/* `wait --accept` takes a file from someone else under a contact's name
 * only with --accept-new-identity; otherwise it declines (exit 9). */
static gboolean
sender_accepted (KfCliApp *app,
                 KfOffer  *offer)
{
  if (kf_cli_peer_identity_accepted (app, KF_CLIENT_ROLE_RECEIVER,
                                     kf_offer_get_sender_name (offer),
                                     kf_offer_get_sender_key (offer)))
    return TRUE;
  kf_cli_json_event ("declined", NULL);
  kf_client_decline_offer (app->client);
  return FALSE;
}

/*
 * kf_cli_receive_auto:
 *
 * `wait --accept`: accepts @offer into @output_dir under its sanitised
 * name, or "name (2).ext" when that exists (unless --overwrite); a tree
 * into @output_dir itself.
 */
void
kf_cli_receive_auto (KfCliApp   *app,
                     KfOffer    *offer,
                     const char *output_dir)
{
  g_autoptr(GFile) dir = g_file_new_for_commandline_arg (output_dir ? output_dir : ".");
  g_autoptr(GFile) target = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = kf_cli_describe_offer (offer);
  g_autofree char *path = NULL;

  if (kf_offer_get_is_tree (offer))
    target = g_object_ref (dir);
  else if (app->overwrite)
    target = g_file_get_child (dir, kf_offer_get_file_name (offer));
  else
    target = kf_cli_unique_file (dir, kf_offer_get_file_name (offer));
  path = g_file_get_path (target);
  kf_cli_print ("%s", text);
  if (!sender_accepted (app, offer))
    return;
  if (!kf_client_accept_offer (app->client, target, app->overwrite, &error))
    {
      kf_cli_error ("%s", error->message);
      kf_client_decline_offer (app->client);
      return;
    }
  kf_cli_json_event ("accepted", kf_offer_get_is_tree (offer) ? "folder" : "file", path, NULL);
  kf_cli_print (kf_offer_get_is_tree (offer) ? _("Receiving into the folder %s…")
                                             : _("Receiving into %s…"), path);
}
