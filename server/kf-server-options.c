/* kf-server-options.c: the configuration file, as command-line options
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `keyferry-server --config FILE` reads a GKeyFile whose [keyferry-server]
 * group holds long option names as keys, with the values they would take
 * on the command line:
 *
 *   [keyferry-server]
 *   port=7745
 *   max-clients=200
 *   passphrase-hash-file=/etc/keyferry-server.passphrase-hash
 *   verbose=true
 *
 * The file fills in only what the command line left unset, so an option
 * on the command line wins over the file.  Any option that takes a value
 * or is a switch may be given, except the ones that ask for a single
 * action (@not_in_file); an unknown key is an error, so that a typo does
 * not silently leave a limit at its default.  The same table of
 * GOptionEntry drives both, so a new option works in the file at once.
 *
 * On SIGHUP the options are put back to what the command line said
 * (kf_server_options_restore()) and the file is read again.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kf-server-options.h"

#define GROUP "keyferry-server"

struct _KfServerOptionsSaved
{
  GPtrArray *strings;   /* per entry: a copy of its string, or NULL */
  GArray    *flags;     /* per entry: its switch (gboolean), or FALSE */
};

/* The entry called @name that a file may set, or %NULL. */
static const GOptionEntry *
find_entry (const GOptionEntry *entries,
            const char * const *not_in_file,
            const char         *name)
{
  if (not_in_file != NULL && g_strv_contains (not_in_file, name))
    return NULL;
  for (const GOptionEntry *e = entries; e->long_name != NULL; e++)
    if (strcmp (e->long_name, name) == 0
        && (e->arg == G_OPTION_ARG_STRING || e->arg == G_OPTION_ARG_FILENAME
            || e->arg == G_OPTION_ARG_NONE))
      return e;
  return NULL;
}

/* Sets @entry's variable from @key unless the command line set it. */
static gboolean
load_key (GKeyFile            *file,
          const GOptionEntry  *entry,
          const char          *key,
          GError             **error)
{
  if (entry->arg == G_OPTION_ARG_NONE)
    {
      gboolean *flag = entry->arg_data;
      gboolean value = g_key_file_get_boolean (file, GROUP, key, error);

      if (value == FALSE && error != NULL && *error != NULL)
        return FALSE;
      *flag = *flag || value;
      return TRUE;
    }
  else
    {
      char **text = entry->arg_data;
      char *value = g_key_file_get_string (file, GROUP, key, error);

      if (value == NULL)
        return FALSE;
      if (*text == NULL)
        *text = value;
      else
        g_free (value);
      return TRUE;
    }
}

/*
 * kf_server_options_load_file:
 * @entries: the command line's options, already parsed
 * @not_in_file: (nullable): long names a file may not set
 * @path: the file
 *
 * Sets every option of @entries that the command line left unset and the
 * file gives.  Returns %FALSE with @error, naming the file, when it cannot
 * be read or parsed, has no [keyferry-server] group, or holds a key that
 * is not an option a file may set; some options may have been set then.
 */
gboolean
kf_server_options_load_file (const GOptionEntry  *entries,
                             const char * const  *not_in_file,
                             const char          *path,
                             GError             **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) keys = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local)
      || (keys = g_key_file_get_keys (file, GROUP, NULL, &local)) == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Cannot use the configuration file %s: %s"), path, local->message);
      return FALSE;
    }
  for (guint i = 0; keys[i] != NULL; i++)
    {
      const GOptionEntry *entry = find_entry (entries, not_in_file, keys[i]);

      if (entry == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                       _("The configuration file %s sets “%s”, which is not an option "
                         "it may set (see keyferry-server --help)"), path, keys[i]);
          return FALSE;
        }
      if (!load_key (file, entry, keys[i], &local))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("The configuration file %s has a bad value for “%s”: %s"),
                       path, keys[i], local->message);
          return FALSE;
        }
    }
  return TRUE;
}

/*
 * kf_server_options_save:
 *
 * Copies the values of @entries' strings and switches (as the command
 * line set them), for kf_server_options_restore().
 */
KfServerOptionsSaved *
kf_server_options_save (const GOptionEntry *entries)
{
  KfServerOptionsSaved *saved = g_new0 (KfServerOptionsSaved, 1);

  saved->strings = g_ptr_array_new_with_free_func (g_free);
  saved->flags = g_array_new (FALSE, TRUE, sizeof (gboolean));
  for (const GOptionEntry *e = entries; e->long_name != NULL; e++)
    {
      gboolean flag = e->arg == G_OPTION_ARG_NONE && *(gboolean *) e->arg_data;
      gboolean is_string = e->arg == G_OPTION_ARG_STRING || e->arg == G_OPTION_ARG_FILENAME;

      g_ptr_array_add (saved->strings, is_string ? g_strdup (*(char **) e->arg_data) : NULL);
      g_array_append_val (saved->flags, flag);
    }
  return saved;
}

/*
 * kf_server_options_restore:
 *
 * Puts the strings and switches of @entries back to the values in @saved
 * (made from the same @entries), freeing the strings they held.
 */
void
kf_server_options_restore (const GOptionEntry         *entries,
                           const KfServerOptionsSaved *saved)
{
  guint i = 0;

  for (const GOptionEntry *e = entries; e->long_name != NULL; e++, i++)
    {
      if (e->arg == G_OPTION_ARG_NONE)
        *(gboolean *) e->arg_data = g_array_index (saved->flags, gboolean, i);
      else if (e->arg == G_OPTION_ARG_STRING || e->arg == G_OPTION_ARG_FILENAME)
        {
          g_free (*(char **) e->arg_data);
          *(char **) e->arg_data = g_strdup (g_ptr_array_index (saved->strings, i));
        }
    }
}

void
kf_server_options_saved_free (KfServerOptionsSaved *saved)
{
  if (saved == NULL)
    return;
  g_ptr_array_unref (saved->strings);
  g_array_unref (saved->flags);
  g_free (saved);
}
