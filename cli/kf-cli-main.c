/* kf-cli-main.c: keyferry-cli's entry point and command dispatch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "kf-cli-crypt.h"
#include "kf-cli-exit.h"
#include "kf-cli-output.h"
#include "kf-gcrypt.h"

static const char usage_text[] =
  N_("Usage:\n"
     "  keyferry-cli encrypt --mode cbc|cfb --key HEX|--key-file FILE --iv HEX [INPUT [OUTPUT]]\n"
     "  keyferry-cli decrypt --mode cbc|cfb --key HEX|--key-file FILE --iv HEX [INPUT [OUTPUT]]\n"
     "\n"
     "Run “keyferry-cli COMMAND --help” for the options of a command.");

static void
print_usage (void)
{
  kf_cli_print ("%s", _(usage_text));
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("keyferry-cli");
  kf_gcrypt_init ();

  if (argc < 2)
    {
      kf_cli_error ("%s", _("no command given"));
      print_usage ();
      return KF_CLI_EXIT_USAGE;
    }

  if (g_str_equal (argv[1], "encrypt") || g_str_equal (argv[1], "decrypt"))
    return kf_cli_crypt_main (argc - 1, argv + 1);

  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")
      || g_str_equal (argv[1], "help"))
    {
      print_usage ();
      return KF_CLI_EXIT_OK;
    }

  kf_cli_error (_("unknown command “%s”"), argv[1]);
  print_usage ();
  return KF_CLI_EXIT_USAGE;
}
