/* kf-cli-identity.c: the user's identity, and `keyferry-cli identity`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-cli-exit.h"
#include "kf-cli-identity.h"
#include "kf-cli-output.h"
#include "kf-hex.h"

/*
 * kf_cli_load_identity:
 *
 * Loads the identity of --identity FILE, or the user's own (made on first
 * use), into app->identity.
 *
 * Returns: %FALSE with @error (naming the file and what to do) when it is
 * unreadable, damaged or open to other users.
 */
gboolean
kf_cli_load_identity (KfCliApp  *app,
                      GError   **error)
{
  g_autofree char *path = app->identity_file != NULL ? g_strdup (app->identity_file)
                                                     : kf_identity_default_path ();

  app->identity = kf_identity_load_or_create (path, error);
  return app->identity != NULL;
}

/*
 * kf_cli_identity_main:
 *
 * `keyferry-cli identity`: prints the identity code, for the user to read
 * to the people they exchange files with; with --json also the public key
 * and the file.
 *
 * Returns: the exit status: 0, or 1 when the identity cannot be loaded.
 */
int
kf_cli_identity_main (KfCliApp *app)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *public_key = NULL;

  if (!kf_cli_load_identity (app, &error))
    {
      kf_cli_error ("%s", error->message);
      kf_cli_json_event ("error", "message", error->message, NULL);
      return KF_CLI_EXIT_FAILED;
    }

  public_key = kf_hex_encode (kf_identity_get_public_key (app->identity),
                              KF_IDENTITY_PUBLIC_KEY_SIZE);
  kf_cli_json_event ("identity",
                     "code", kf_identity_get_code (app->identity),
                     "public_key", public_key,
                     "path", kf_identity_get_path (app->identity),
                     NULL);
  kf_cli_print (_("Your identity code is %s (kept in %s)."),
                kf_identity_get_code (app->identity), kf_identity_get_path (app->identity));

  return KF_CLI_EXIT_OK;
}
