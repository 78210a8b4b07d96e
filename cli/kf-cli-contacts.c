/* kf-cli-contacts.c: `keyferry-cli contacts`, the people you exchanged files with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   keyferry-cli contacts                     list them, the latest first
 *   keyferry-cli contacts forget NAME|CODE    forget one (or all seen as NAME)
 *
 * Forgetting a contact is how a person accepts for good that a name now
 * belongs to another identity (common/kf-contacts.c).  Neither command
 * connects to a key manager.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-cli-contacts.h"
#include "kf-cli-exit.h"
#include "kf-cli-output.h"
#include "kf-contacts.h"
#include "kf-hex.h"

static char *
format_time (GDateTime *time)
{
  g_autoptr(GDateTime) local = NULL;

  if (time == NULL)
    return g_strdup ("?");
  local = g_date_time_to_local (time);
  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}

static char *
format_iso (GDateTime *time)
{
  return time != NULL ? g_date_time_format_iso8601 (time) : NULL;
}

static void
json_contact (KfCliJson       *json,
              const KfContact *contact)
{
  g_autofree char *hex = kf_hex_encode (contact->public_key, sizeof contact->public_key);
  g_autofree char *first = format_iso (contact->first_exchange);
  g_autofree char *last = format_iso (contact->last_exchange);

  kf_cli_json_open (json, NULL, '{');
  kf_cli_json_string (json, "code", contact->code);
  kf_cli_json_string (json, "public_key", hex);
  kf_cli_json_open (json, "names", '[');
  for (guint i = 0; contact->names[i] != NULL; i++)
    kf_cli_json_string (json, NULL, contact->names[i]);
  kf_cli_json_close (json, ']');
  kf_cli_json_string (json, "first_exchange", first);
  kf_cli_json_string (json, "last_exchange", last);
  kf_cli_json_uint (json, "exchanges", contact->exchanges);
  kf_cli_json_close (json, '}');
}

static void
print_contact (const KfContact *contact)
{
  const char *latest = kf_contact_get_latest_name (contact);
  g_autofree char *last = format_time (contact->last_exchange);
  g_autofree char *also = NULL;
  g_autoptr(GString) others = g_string_new (NULL);
  guint n = g_strv_length (contact->names);

  for (guint i = n > 1 ? n - 1 : 0; i > 0; i--)
    g_string_append_printf (others, "%s%s", others->len > 0 ? ", " : "",
                            contact->names[i - 1]);
  /* Translators: the other names a contact was seen under */
  also = others->len > 0 ? g_strdup_printf (_(" (also seen as %s)"), others->str) : g_strdup ("");
  /* Translators: identity code, name, other names, date of the last transfer, count */
  kf_cli_print (ngettext ("  %s  %s%s — last %s, %u transfer",
                          "  %s  %s%s — last %s, %u transfers", contact->exchanges),
                contact->code, latest != NULL ? latest : _("(no name now)"), also, last,
                contact->exchanges);
}

static int
list_contacts (KfContacts *contacts)
{
  g_autoptr(GPtrArray) list = kf_contacts_list (contacts);
  KfCliJson *json = kf_cli_json_begin ("contacts");

  kf_cli_json_open (json, "contacts", '[');
  for (guint i = 0; i < list->len; i++)
    json_contact (json, g_ptr_array_index (list, i));
  kf_cli_json_close (json, ']');
  kf_cli_json_end (json);

  if (list->len == 0)
    {
      kf_cli_print ("%s", _("No contacts yet: whoever you send a file to or receive one from "
                            "becomes one."));
      return KF_CLI_EXIT_OK;
    }
  kf_cli_print ("%s", _("Your contacts (identity code, name):"));
  for (guint i = 0; i < list->len; i++)
    print_contact (g_ptr_array_index (list, i));
  return KF_CLI_EXIT_OK;
}

static int
forget_contact (KfContacts *contacts,
                const char *name_or_code)
{
  g_autoptr(GError) error = NULL;
  KfCliJson *json = NULL;
  guint forgotten = 0;

  if (!kf_contacts_forget (contacts, name_or_code, &forgotten, &error))
    {
      kf_cli_error ("%s", error->message);
      return KF_CLI_EXIT_FAILED;
    }
  json = kf_cli_json_begin ("forgotten");
  kf_cli_json_string (json, "name", name_or_code);
  kf_cli_json_uint (json, "count", forgotten);
  kf_cli_json_end (json);
  if (forgotten == 0)
    {
      kf_cli_error (_("no contact has the name or identity code “%s”: see keyferry-cli "
                      "contacts"), name_or_code);
      return KF_CLI_EXIT_FAILED;
    }
  kf_cli_print (ngettext ("Forgot %u contact: the next identity seen as “%s” is a new "
                          "contact.",
                          "Forgot %u contacts: the next identity seen as “%s” is a new "
                          "contact.", forgotten),
                forgotten, name_or_code);
  return KF_CLI_EXIT_OK;
}

/*
 * kf_cli_contacts_main:
 * @argv: the words after `contacts`
 *
 * Returns: the exit status.
 */
int
kf_cli_contacts_main (KfCliApp  *app,
                      char     **argv)
{
  g_autoptr(KfContacts) contacts = kf_contacts_new (NULL);
  g_autoptr(GError) error = NULL;
  guint argc = g_strv_length (argv);

  if (!(argc == 0 || (argc == 2 && g_str_equal (argv[0], "forget") && *argv[1] != '\0')))
    {
      kf_cli_error ("%s", _("usage: contacts, or contacts forget NAME|CODE"));
      return KF_CLI_EXIT_USAGE;
    }
  if (!kf_contacts_load (contacts, &error))
    {
      kf_cli_error ("%s", error->message);
      return KF_CLI_EXIT_FAILED;
    }
  return argc == 0 ? list_contacts (contacts) : forget_contact (contacts, argv[1]);
}
