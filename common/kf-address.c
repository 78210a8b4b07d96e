/* kf-address.c: what the app and the CLI read from their user alike
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A key manager's address as typed (`--server`, the connect page) and the
 * display name used when none is given.  Both front ends call these, so
 * that an address one accepts the other accepts too, and a default name
 * one sends the key manager accepts from the other.  Pure functions but
 * for kf_display_name_default(), which reads the user's account.
 */

#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "kf-address.h"
#include "kf-protocol.h"

static gboolean
bad_address (const char  *text,
             GError     **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a key manager address: write it as HOST, HOST:PORT, "
                 "an IPv6 address, or [IPv6]:PORT"), text);
  return FALSE;
}

/* A host name or an address holds no blank, control character, slash,
 * bracket or '@'. */
static gboolean
is_host (const char *host)
{
  if (host[0] == '\0')
    return FALSE;
  for (const char *p = host; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p) || strchr (" /[]@", *p) != NULL)
      return FALSE;
  return TRUE;
}

/*
 * kf_address_parse_port:
 * @text: a port as typed, blanks around it allowed
 *
 * Returns: %FALSE with %G_IO_ERROR_INVALID_ARGUMENT unless @text is a
 * decimal number from 1 to 65535; otherwise @port.
 */
gboolean
kf_address_parse_port (const char  *text,
                       guint16     *port,
                       GError     **error)
{
  g_autofree char *stripped = NULL;
  guint64 value = 0;

  g_return_val_if_fail (text != NULL && port != NULL, FALSE);

  stripped = g_strstrip (g_strdup (text));
  if (!g_ascii_string_to_unsigned (stripped, 10, 1, G_MAXUINT16, &value, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a port: use a number from 1 to 65535"), stripped);
      return FALSE;
    }
  *port = (guint16) value;
  return TRUE;
}

/*
 * kf_address_parse:
 * @text: "HOST", "HOST:PORT", a bare IPv6 address, "[IPv6]" or
 *   "[IPv6]:PORT", blanks around it allowed
 * @host: (out): the host, IPv6 without brackets
 * @port: (out): the port, 0 when @text gives none (the caller's default)
 *
 * Returns: %FALSE with %G_IO_ERROR_INVALID_ARGUMENT, saying what to write
 * instead, when @text is empty, the host is empty or holds a blank, a
 * control character, '/', '@' or a stray bracket, a bare address with
 * several colons is not IPv6, or the port is not 1–65535.  @host is then
 * left unset.
 */
gboolean
kf_address_parse (const char  *text,
                  char       **host,
                  guint16     *port,
                  GError     **error)
{
  g_autofree char *stripped = NULL;
  g_autofree char *name = NULL;
  const char *colon;
  guint16 parsed_port = 0;

  g_return_val_if_fail (text != NULL && host != NULL && port != NULL, FALSE);

  stripped = g_strstrip (g_strdup (text));
  if (stripped[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("No key manager address was given: enter it as HOST or HOST:PORT"));
      return FALSE;
    }

  if (stripped[0] == '[')
    {
      const char *end = strchr (stripped, ']');

      if (end == NULL || (end[1] != '\0' && end[1] != ':'))
        return bad_address (stripped, error);
      name = g_strndup (stripped + 1, (gsize) (end - stripped - 1));
      colon = end[1] == ':' ? end + 1 : NULL;
      if (strchr (name, ':') == NULL)
        return bad_address (stripped, error);
    }
  else if ((colon = strchr (stripped, ':')) != NULL && strchr (colon + 1, ':') != NULL)
    {
      if (!g_hostname_is_ip_address (stripped))
        return bad_address (stripped, error);
      name = g_strdup (stripped);
      colon = NULL;
    }
  else
    name = colon != NULL ? g_strndup (stripped, (gsize) (colon - stripped)) : g_strdup (stripped);

  if (!is_host (name))
    return bad_address (stripped, error);
  if (colon != NULL && !kf_address_parse_port (colon + 1, &parsed_port, error))
    return FALSE;

  *host = g_steal_pointer (&name);
  *port = parsed_port;
  return TRUE;
}

/* @text made valid UTF-8, control characters turned into spaces, blanks
 * around it removed. */
static char *
clean_name (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *clean = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_string_append_unichar (clean, g_unichar_iscntrl (c) ? ' ' : c);
    }
  return g_strstrip (g_string_free (clean, FALSE));
}

/*
 * kf_display_name_choose:
 * @real_name: (nullable): the user's real name, as the account gives it
 * @host_name: the machine's name
 *
 * Returns: (transfer full): @real_name, or @host_name when the real name
 * is unknown (%NULL, blank or GLib's "Unknown"), made valid UTF-8,
 * control characters turned into spaces, blanks around it removed, and
 * cut to %KF_PROTOCOL_MAX_NAME_CHARS characters (never inside a
 * character), so that the key manager accepts it.
 */
char *
kf_display_name_choose (const char *real_name,
                        const char *host_name)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (host_name != NULL, NULL);

  if (real_name != NULL && !g_str_equal (real_name, "Unknown"))
    name = clean_name (real_name);
  if (name == NULL || name[0] == '\0')
    {
      g_free (name);
      name = clean_name (host_name);
    }

  return g_utf8_substring (name, 0, MIN (g_utf8_strlen (name, -1), KF_PROTOCOL_MAX_NAME_CHARS));
}

/*
 * kf_display_name_default:
 *
 * Returns: (transfer full): the display name the app and the CLI use when
 * the user gives none: kf_display_name_choose() of this account's real
 * name and the host name.  Never fails.
 */
char *
kf_display_name_default (void)
{
  return kf_display_name_choose (g_get_real_name (), g_get_host_name ());
}
