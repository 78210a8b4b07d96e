/* kf-gui-util.c: parsing and formatting helpers shared by the app's pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include <string.h>
#include <glib/gi18n.h>

#include <adwaita.h>

#include "kf-fingerprint.h"
#include "kf-gui-util.h"
#include "kf-protocol.h"

G_DEFINE_QUARK (kf-gui-error-quark, kf_gui_error)

/*
 * kf_gui_parse_port_range:
 * @text: "FIRST-LAST", one port, or empty
 *
 * Reads the ports a receiver may listen on: @first and @last (both 0 for
 * an empty @text: any free port).  Returns FALSE with
 * KF_GUI_ERROR_INVALID_PORTS when @text is anything else, or LAST is
 * below FIRST.
 */
gboolean
kf_gui_parse_port_range (const char  *text,
                         guint16     *first,
                         guint16     *last,
                         GError     **error)
{
  g_autofree char *stripped = NULL;
  g_auto(GStrv) parts = NULL;
  guint64 low = 0, high = 0;

  g_return_val_if_fail (text != NULL && first != NULL && last != NULL, FALSE);

  stripped = g_strstrip (g_strdup (text));
  *first = *last = 0;
  if (stripped[0] == '\0')
    return TRUE;
  parts = g_strsplit (stripped, "-", 3);
  if (g_strv_length (parts) > 2
      || !g_ascii_string_to_unsigned (g_strstrip (parts[0]), 10, 1, G_MAXUINT16, &low, NULL)
      || !g_ascii_string_to_unsigned (parts[1] != NULL ? g_strstrip (parts[1]) : parts[0], 10,
                                      low, G_MAXUINT16, &high, NULL))
    {
      g_set_error (error, KF_GUI_ERROR, KF_GUI_ERROR_INVALID_PORTS,
                   _("“%s” is not a port or a range of ports: write one port from 1 to 65535, "
                     "or two joined by a dash, the lower first (for example 7746-7755)"),
                   stripped);
      return FALSE;
    }
  *first = (guint16) low;
  *last = (guint16) high;
  return TRUE;
}

/*
 * kf_gui_check_name:
 *
 * Returns the display name others will see, stripped of surrounding
 * blanks, or NULL with KF_GUI_ERROR_INVALID_NAME when it is empty, too
 * long or holds control characters.
 */
char *
kf_gui_check_name (const char  *text,
                   GError     **error)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  name = g_strstrip (g_strdup (text));
  if (name[0] == '\0')
    {
      g_set_error_literal (error, KF_GUI_ERROR, KF_GUI_ERROR_INVALID_NAME,
                           _("Enter the name others will see"));
      return NULL;
    }

  if (g_utf8_strlen (name, -1) > KF_PROTOCOL_MAX_NAME_CHARS)
    {
      g_set_error (error, KF_GUI_ERROR, KF_GUI_ERROR_INVALID_NAME,
                   _("The name is too long: use at most %d characters"),
                   KF_PROTOCOL_MAX_NAME_CHARS);
      return NULL;
    }

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error_literal (error, KF_GUI_ERROR, KF_GUI_ERROR_INVALID_NAME,
                             _("The name cannot contain control characters"));
        return NULL;
      }

  return g_steal_pointer (&name);
}

/* Returns "CBC" or "CFB": the names people see. */
const char *
kf_gui_mode_label (KfCipherMode mode)
{
  return mode == KF_CIPHER_MODE_CFB ? "CFB" : "CBC";
}

/*
 * kf_gui_format_progress:
 *
 * Returns "12.0 MB of 40.0 MB (30 %)" for the transfer page.
 */
char *
kf_gui_format_progress (guint64 done,
                        guint64 total)
{
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *total_text = g_format_size (total);
  guint percent = total > 0 ? (guint) (MIN (done, total) * 100 / total) : 0;

  /* Translators: "12.0 MB of 40.0 MB (30 %)" */
  return g_strdup_printf (_("%s of %s (%u %%)"), done_text, total_text, percent);
}

/*
 * kf_gui_format_contents:
 *
 * Returns what a tree holds: "12 files in 3 folders", "2 files" or
 * "1 empty folder".
 */
char *
kf_gui_format_contents (guint n_files,
                        guint n_folders)
{
  g_autofree char *files = NULL;

  if (n_folders == 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u file", "%u files", n_files),
                            n_files);
  if (n_files == 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u empty folder",
                                         "%u empty folders", n_folders), n_folders);
  files = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u file", "%u files", n_files),
                           n_files);
  /* Translators: "12 files in 3 folders"; the %s is "12 files" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s in %u folder", "%s in %u folders",
                                       n_folders), files, n_folders);
}

/*
 * kf_gui_format_offer_news:
 *
 * Returns the notification's text for @offer: "Ana wants to send you
 * “notes.txt”", or "… 12 files in 3 folders" for a tree.
 */
char *
kf_gui_format_offer_news (KfOffer *offer)
{
  g_autofree char *contents = NULL;

  if (!kf_offer_get_is_tree (offer))
    return g_strdup_printf (_("%s wants to send you “%s”"), kf_offer_get_sender_name (offer),
                            kf_offer_get_file_name (offer));
  contents = kf_gui_format_contents (kf_offer_get_n_files (offer),
                                     kf_offer_get_n_folders (offer));
  /* Translators: the sender, then "12 files in 3 folders" */
  return g_strdup_printf (_("%s wants to send you %s"), kf_offer_get_sender_name (offer),
                          contents);
}

/*
 * kf_gui_format_receiving:
 *
 * Returns the transfer page's title for a tree from @who: "Receiving 12
 * files in 3 folders from Ana".
 */
char *
kf_gui_format_receiving (KfOffer    *offer,
                         const char *who)
{
  g_autofree char *contents = kf_gui_format_contents (kf_offer_get_n_files (offer),
                                                      kf_offer_get_n_folders (offer));

  /* Translators: "12 files in 3 folders", then the sender's name */
  return g_strdup_printf (_("Receiving %s from %s"), contents, who);
}

/*
 * format_duration:
 *
 * Returns a rounded, human duration like "about 3 minutes left".
 */
static char *
format_duration (guint64 seconds)
{
  if (seconds < 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %u second left",
                                         "about %u seconds left", (gulong) seconds),
                            (guint) seconds);
  if (seconds < 3600)
    {
      guint minutes = (guint) ((seconds + 30) / 60);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %u minute left",
                                           "about %u minutes left", minutes), minutes);
    }

  {
    guint hours = (guint) ((seconds + 1800) / 3600);
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %u hour left",
                                         "about %u hours left", hours), hours);
  }
}

/*
 * kf_gui_format_rate:
 *
 * Returns "8.1 MB/s · about 3 seconds left", or a waiting text while the
 * rate is still unknown.
 */
char *
kf_gui_format_rate (guint64 done,
                    guint64 total,
                    double  bytes_per_second)
{
  g_autofree char *rate = NULL;
  g_autofree char *left = NULL;

  if (bytes_per_second < 1.0)
    return g_strdup (_("Measuring speed…"));

  rate = g_format_size ((guint64) bytes_per_second);
  /* Rounded up: "about 0 seconds left" while bytes remain says nothing. */
  left = format_duration ((guint64) ceil ((total > done ? total - done : 0) / bytes_per_second));

  /* Translators: "8.1 MB/s · about 3 seconds left" */
  return g_strdup_printf (_("%s/s · %s"), rate, left);
}

/*
 * kf_gui_format_fingerprint:
 *
 * Returns the fingerprint in the form the key manager and the CLI print
 * (kf_fingerprint_format_pretty(): upper-case groups of four hex digits),
 * four groups a line, so that people can compare it piece by piece.
 */
char *
kf_gui_format_fingerprint (const char *fingerprint)
{
  g_autofree char *canonical = NULL;
  char *pretty;
  guint groups = 0;

  g_return_val_if_fail (fingerprint != NULL, NULL);

  canonical = kf_fingerprint_normalize (fingerprint, NULL);
  pretty = kf_fingerprint_format_pretty (canonical != NULL ? canonical : fingerprint);
  for (char *p = pretty; *p != '\0'; p++)
    if (*p == ' ' && ++groups % 4 == 0)
      *p = '\n';
  return pretty;
}

/*
 * kf_gui_download_folder:
 *
 * Returns the download folder from the settings, or the user's XDG
 * download folder (their home folder when there is none).
 */
GFile *
kf_gui_download_folder (GSettings *settings)
{
  g_autofree char *path = g_settings_get_string (settings, "download-folder");
  const char *fallback;

  if (path[0] != '\0')
    return g_file_new_for_path (path);

  fallback = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  return g_file_new_for_path (fallback != NULL ? fallback : g_get_home_dir ());
}

/*
 * kf_gui_format_status:
 *
 * Returns the connection status for the header bar: "Connected as #3
 * to host", "Connecting to host…", "Not connected: reason"…
 */
char *
kf_gui_format_status (KfClientState  state,
                      guint          client_id,
                      const char    *host,
                      const char    *failure)
{
  switch (state)
    {
    case KF_CLIENT_STATE_DISCONNECTED:
      return failure != NULL ? g_strdup_printf (_("Not connected: %s"), failure)
                             : g_strdup (_("Not connected"));
    case KF_CLIENT_STATE_CONNECTING:
      return g_strdup_printf (_("Connecting to %s…"), host);
    case KF_CLIENT_STATE_RECONNECTING:
      return g_strdup_printf (_("Connection lost, reconnecting to %s…"), host);
    case KF_CLIENT_STATE_WAITING:
      return g_strdup_printf (_("Connected as #%u to %s, waiting"), client_id, host);
    case KF_CLIENT_STATE_IDLE:
    case KF_CLIENT_STATE_CONFIRMING:
    case KF_CLIENT_STATE_LINKING:
    case KF_CLIENT_STATE_READY_TO_SEND:
    case KF_CLIENT_STATE_OFFERED:
    case KF_CLIENT_STATE_TRANSFERRING:
    case KF_CLIENT_STATE_REPORTING:
    default:
      return g_strdup_printf (_("Connected as #%u to %s"), client_id, host);
    }
}

static void
on_visible_child_changed (GtkStack *stack)
{
  GtkWidget *visible = gtk_stack_get_visible_child (stack);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (stack));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    gtk_accessible_update_state (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_STATE_HIDDEN,
                                 child != visible, -1);
}

/*
 * kf_gui_stack_hide_unseen:
 *
 * GTK 4.8 shows every page of a #GtkStack to screen readers, the ones
 * not on screen too: from now on only the visible page of @stack is in
 * the accessibility tree.
 */
void
kf_gui_stack_hide_unseen (GtkStack *stack)
{
  g_return_if_fail (GTK_IS_STACK (stack));

  g_signal_connect (stack, "notify::visible-child", G_CALLBACK (on_visible_child_changed), NULL);
  on_visible_child_changed (stack);
}

/* GTK 4.8 adds a button's label, mnemonic marker and all, to the name its
 * label child already gives ("_Wait Wait"): keep the child's only. */
static void
fix_button_name (GtkWidget *button)
{
  if (gtk_button_get_label (GTK_BUTTON (button)) != NULL)
    gtk_accessible_reset_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL);
}

/* An info row ("Size", "2.1 MB") says its value, not only its title. */
static void
fix_row_description (GtkWidget *row)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));

  if (subtitle != NULL && *subtitle != '\0')
    gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    subtitle, -1);
}

/* Gives @widget its fix, once; later label or subtitle changes keep it. */
static void
fix_widget (GtkWidget *widget)
{
  gboolean seen = g_object_get_data (G_OBJECT (widget), "kf-a11y-fixed") != NULL;

  if (GTK_IS_BUTTON (widget))
    {
      if (!seen)
        g_signal_connect (widget, "notify::label", G_CALLBACK (fix_button_name), NULL);
      fix_button_name (widget);
    }
  else if (ADW_IS_ACTION_ROW (widget))
    {
      if (!seen)
        g_signal_connect (widget, "notify::subtitle", G_CALLBACK (fix_row_description), NULL);
      fix_row_description (widget);
    }
  g_object_set_data (G_OBJECT (widget), "kf-a11y-fixed", GINT_TO_POINTER (TRUE));
}

static void
fix_tree (GtkWidget *widget)
{
  fix_widget (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    fix_tree (child);
}

/* A window is mapped: everything in it, shown or not yet (a message
 * dialog keeps a second row of buttons for narrow sizes); a widget is
 * mapped: itself (rows made later, in lists). */
static gboolean
on_map_hook (GSignalInvocationHint *hint,
             guint                  n_values,
             const GValue          *values,
             gpointer               user_data)
{
  GtkWidget *widget = g_value_get_object (&values[0]);

  if (GTK_IS_WINDOW (widget))
    fix_tree (widget);
  else
    fix_widget (widget);
  return TRUE;
}

/*
 * kf_gui_install_a11y_fixes:
 *
 * Makes every button and row of the app, its dialogs and libadwaita's
 * say one meaningful name to screen readers on GTK 4.8 and libadwaita
 * 1.2: a button says its label once, without the mnemonic marker; an
 * action row's subtitle is its description.  Call once, at start-up.
 */
void
kf_gui_install_a11y_fixes (void)
{
  static gsize installed;

  if (!g_once_init_enter (&installed))
    return;
  /* The class must exist for its signal to be found; buttons stay around. */
  g_type_class_ref (GTK_TYPE_BUTTON);
  g_signal_add_emission_hook (g_signal_lookup ("map", GTK_TYPE_WIDGET), 0, on_map_hook,
                              NULL, NULL);
  g_once_init_leave (&installed, 1);
}

/*
 * kf_gui_check_contact:
 * @contacts: (nullable): the user's contacts
 * @key: (nullable): the peer's identity key
 * @known_code: (out) (optional): when CHANGED, the code known for @name
 *
 * What the contacts say of @name with @key (kf_contacts_check()), read
 * again first: keyferry-cli may have added or forgotten one meanwhile.
 *
 * Returns: the answer; %KF_CONTACT_NEW without contacts or key.
 */
KfContactCheck
kf_gui_check_contact (KfContacts    *contacts,
                      const char    *name,
                      const guint8  *key,
                      char         **known_code)
{
  const KfContact *known = NULL;
  g_autoptr(GError) error = NULL;
  KfContactCheck check;

  if (known_code != NULL)
    *known_code = NULL;
  if (contacts == NULL || key == NULL)
    return KF_CONTACT_NEW;
  if (!kf_contacts_load (contacts, &error))
    g_message ("Could not read your contacts again: %s", error->message);
  check = kf_contacts_check (contacts, name, key, &known);
  if (known_code != NULL && check == KF_CONTACT_CHANGED)
    *known_code = g_strdup (known->code);
  return check;
}

/*
 * kf_gui_toast_new:
 * @text: plain text, which may quote names and messages from others
 *
 * Returns: (transfer full): a toast showing @text as it is.  libadwaita
 * 1.2 reads a toast's title as Pango markup, so @text is escaped: a name
 * such as "Ana <b>& Co" would otherwise vanish or change the toast.
 */
AdwToast *
kf_gui_toast_new (const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  return adw_toast_new (escaped);
}
