/* main.c: the entry point of keyferry, the desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "kf-application.h"
#include "kf-gcrypt.h"
#include "kf-tls.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(KfApplication) app = NULL;

  kf_process_harden ();
  kf_gcrypt_init ();
  kf_tls_init ();
  setlocale (LC_ALL, "");
  /* KEYFERRY_LOCALEDIR: the catalogues of an uninstalled build (script/run). */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("KEYFERRY_LOCALEDIR") ? g_getenv ("KEYFERRY_LOCALEDIR")
                                                                  : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = kf_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
