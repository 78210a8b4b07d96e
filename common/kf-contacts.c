/* kf-contacts.c: the people this user exchanged files with, like known_hosts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every peer a file went to or came from, after a transfer the key manager
 * confirmed, is remembered by its identity (issue 14, point 3): the
 * Ed25519 public key its peer link proved, under its identity code, with
 * the names it was seen under and when.  A name then stands for the
 * identity it was last exchanged with: kf_contacts_check() says whether a
 * peer is a known contact, new, or someone else using a contact's name.
 * Names are compared folded (case, Unicode compatibility forms, look-alike
 * letters: kf_name_fold()), as the
 * key manager compares them.
 *
 * The store is a key file, by default $XDG_DATA_HOME/keyferry/contacts,
 * one group per identity:
 *
 *   [ABCD-EFGH-IJKL-MNOP]
 *   public-key=<64 hex digits>
 *   names=bob;Bob;
 *   first-exchange=2026-12-06T21:00:00Z
 *   last-exchange=2026-12-06T21:30:00Z
 *   exchanges=2
 *
 * A group whose key does not give its code, or that does not parse, is
 * left out of every query but kept in the file; names read are cleaned
 * (kf-untrusted) like any text from another party.  Every change first reads
 * the file again (the app and keyferry-cli share it), then replaces it
 * atomically, mode 0600, in a folder made 0700.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-contacts.h"
#include "kf-name-fold.h"
#include "kf-hex.h"
#include "kf-untrusted.h"

/* The names kept per contact: the latest ones. */
#define MAX_NAMES 8

struct _KfContacts
{
  KfFileStore parent_instance;

  GKeyFile  *file;      /* as read: groups that do not parse are kept */
  GPtrArray *contacts;  /* KfContact, the groups that parse, in file order */
};

G_DEFINE_FINAL_TYPE (KfContacts, kf_contacts, KF_TYPE_FILE_STORE)

G_DEFINE_BOXED_TYPE (KfContact, kf_contact, kf_contact_copy, kf_contact_free)

G_DEFINE_ENUM_TYPE (KfContactCheck, kf_contact_check,
                    G_DEFINE_ENUM_VALUE (KF_CONTACT_NEW, "new"),
                    G_DEFINE_ENUM_VALUE (KF_CONTACT_KNOWN, "known"),
                    G_DEFINE_ENUM_VALUE (KF_CONTACT_CHANGED, "changed"))


KfContact *
kf_contact_copy (const KfContact *contact)
{
  KfContact *copy = g_new0 (KfContact, 1);

  copy->code = g_strdup (contact->code);
  memcpy (copy->public_key, contact->public_key, sizeof copy->public_key);
  copy->names = g_strdupv (contact->names);
  copy->first_exchange = contact->first_exchange != NULL
                         ? g_date_time_ref (contact->first_exchange) : NULL;
  copy->last_exchange = contact->last_exchange != NULL
                        ? g_date_time_ref (contact->last_exchange) : NULL;
  copy->exchanges = contact->exchanges;
  return copy;
}

void
kf_contact_free (KfContact *contact)
{
  if (contact == NULL)
    return;
  g_free (contact->code);
  g_strfreev (contact->names);
  g_clear_pointer (&contact->first_exchange, g_date_time_unref);
  g_clear_pointer (&contact->last_exchange, g_date_time_unref);
  g_free (contact);
}

/*
 * kf_contact_get_latest_name:
 *
 * Returns: (nullable): the name @contact was last seen under, or %NULL
 * when another identity took all its names.
 */
const char *
kf_contact_get_latest_name (const KfContact *contact)
{
  guint n;

  g_return_val_if_fail (contact != NULL, NULL);

  n = contact->names != NULL ? g_strv_length (contact->names) : 0;
  return n > 0 ? contact->names[n - 1] : NULL;
}

/* How names are compared: as the key manager compares them
 * (kf_name_fold(): compatibility forms, case and look-alike letters), so
 * that "B0b" or a Cyrillic "Воb" is bob's name here as it is there. */
static char *
fold_name (const char *name)
{
  char *folded = kf_name_fold (name);

  return folded != NULL ? folded : g_strdup (name);
}

static gboolean
has_name (const KfContact *contact,
          const char      *folded)
{
  for (guint i = 0; contact->names[i] != NULL; i++)
    {
      g_autofree char *other = fold_name (contact->names[i]);

      if (g_str_equal (other, folded))
        return TRUE;
    }
  return FALSE;
}

static GDateTime *
get_time (GKeyFile   *file,
          const char *group,
          const char *key)
{
  g_autofree char *text = g_key_file_get_string (file, group, key, NULL);

  return text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;
}

/*
 * parse_contact:
 *
 * Returns: (transfer full) (nullable): the contact of @group, or %NULL
 * (with a debug message) when it does not parse or its key does not give
 * its code.
 */
static KfContact *
parse_contact (GKeyFile   *file,
               const char *group)
{
  g_autoptr(KfContact) contact = g_new0 (KfContact, 1);
  g_autofree char *hex = g_key_file_get_string (file, group, "public-key", NULL);
  g_autofree char *code = NULL;
  g_autoptr(GError) error = NULL;
  gint64 exchanges;

  if (hex == NULL || !kf_hex_decode (hex, contact->public_key, sizeof contact->public_key,
                                     &error))
    {
      g_debug ("contacts: [%s] ignored: no valid public-key", group);
      return NULL;
    }
  code = kf_identity_code_for_key (contact->public_key);
  if (!g_str_equal (code, group))
    {
      g_debug ("contacts: [%s] ignored: its key's code is %s", group, code);
      return NULL;
    }

  contact->code = g_steal_pointer (&code);
  contact->names = g_key_file_get_string_list (file, group, "names", NULL, NULL);
  if (contact->names == NULL)
    contact->names = g_new0 (char *, 1);
  /* The file may have been edited: its names are cleaned as they enter. */
  for (guint i = 0; contact->names[i] != NULL; i++)
    if (!kf_untrusted_is_clean (contact->names[i]))
      {
        char *clean = kf_untrusted_clean (contact->names[i], -1);

        g_free (contact->names[i]);
        contact->names[i] = clean;
      }
  contact->first_exchange = get_time (file, group, "first-exchange");
  contact->last_exchange = get_time (file, group, "last-exchange");
  exchanges = g_key_file_get_int64 (file, group, "exchanges", NULL);
  contact->exchanges = (guint) CLAMP (exchanges, 0, G_MAXUINT);

  return g_steal_pointer (&contact);
}

static void
index_file (KfContacts *self)
{
  g_auto(GStrv) groups = g_key_file_get_groups (self->file, NULL);

  g_ptr_array_set_size (self->contacts, 0);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      KfContact *contact = parse_contact (self->file, groups[i]);

      if (contact != NULL)
        g_ptr_array_add (self->contacts, contact);
    }
}

/*
 * kf_contacts_default_path:
 *
 * Returns: (transfer full): $XDG_DATA_HOME/keyferry/contacts.
 */
char *
kf_contacts_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "keyferry", "contacts", NULL);
}

/*
 * kf_contacts_new:
 * @path: (nullable): the file to use; %NULL for the default path
 *
 * Returns: (transfer full): an empty store for @path.  Nothing is read
 * until kf_contacts_load().
 */
KfContacts *
kf_contacts_new (const char *path)
{
  return g_object_new (KF_TYPE_CONTACTS, "path", path, NULL);
}

const char *
kf_contacts_get_path (KfContacts *self)
{
  g_return_val_if_fail (KF_IS_CONTACTS (self), NULL);

  return kf_file_store_get_path (KF_FILE_STORE (self));
}

/*
 * kf_contacts_load:
 *
 * Replaces what the store holds with the file's contents.  A missing file
 * is an empty store.  Returns %FALSE when the file exists but cannot be
 * read or is not a key file; the store then keeps what it held.
 */
gboolean
kf_contacts_load (KfContacts  *self,
                  GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  const char *path;

  g_return_val_if_fail (KF_IS_CONTACTS (self), FALSE);

  path = kf_file_store_get_path (KF_FILE_STORE (self));

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_KEEP_COMMENTS, &local_error)
      && !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not read your contacts from %s: %s"), path,
                   local_error->message);
      return FALSE;
    }

  g_key_file_unref (self->file);
  self->file = g_steal_pointer (&file);
  index_file (self);
  return TRUE;
}

/* Writes the key file back, atomically, mode 0600 in a 0700 folder. */
static gboolean
save (KfContacts  *self,
      GError     **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  data = g_key_file_to_data (self->file, &len, NULL);
  /* Translators: what the file holds, in “Could not save %s” and
   * “Could not create the folder %s for %s”. */
  if (!kf_file_store_save (KF_FILE_STORE (self), data, len, _("your contacts"), error))
    return FALSE;

  index_file (self);
  return TRUE;
}

/* Most recent exchange first; a contact with no date last. */
static int
compare_recent (gconstpointer a,
                gconstpointer b)
{
  const KfContact *x = *(const KfContact **) a;
  const KfContact *y = *(const KfContact **) b;

  if (x->last_exchange == NULL || y->last_exchange == NULL)
    return (x->last_exchange == NULL) - (y->last_exchange == NULL);
  return g_date_time_compare (y->last_exchange, x->last_exchange);
}

/*
 * kf_contacts_list:
 *
 * Returns: (transfer container) (element-type KfContact): every contact,
 * the most recent exchange first; valid until the store next changes.
 */
GPtrArray *
kf_contacts_list (KfContacts *self)
{
  GPtrArray *list;

  g_return_val_if_fail (KF_IS_CONTACTS (self), NULL);

  list = g_ptr_array_sized_new (self->contacts->len);
  for (guint i = 0; i < self->contacts->len; i++)
    g_ptr_array_add (list, g_ptr_array_index (self->contacts, i));
  g_ptr_array_sort (list, compare_recent);
  return list;
}

/*
 * kf_contacts_lookup_code:
 * @code: an identity code, as kf_identity_code_normalize() accepts it
 *
 * Returns: (nullable): the contact with that code, or %NULL; valid until
 * the store next changes.
 */
const KfContact *
kf_contacts_lookup_code (KfContacts *self,
                         const char *code)
{
  g_autofree char *normal = NULL;

  g_return_val_if_fail (KF_IS_CONTACTS (self), NULL);
  g_return_val_if_fail (code != NULL, NULL);

  normal = kf_identity_code_normalize (code, NULL);
  for (guint i = 0; normal != NULL && i < self->contacts->len; i++)
    {
      const KfContact *contact = g_ptr_array_index (self->contacts, i);

      if (g_str_equal (contact->code, normal))
        return contact;
    }
  return NULL;
}

/*
 * kf_contacts_lookup_key:
 *
 * Returns: (nullable): the contact with that public key, or %NULL; valid
 * until the store next changes.
 */
const KfContact *
kf_contacts_lookup_key (KfContacts   *self,
                        const guint8  public_key[KF_IDENTITY_PUBLIC_KEY_SIZE])
{
  g_return_val_if_fail (KF_IS_CONTACTS (self), NULL);
  g_return_val_if_fail (public_key != NULL, NULL);

  for (guint i = 0; i < self->contacts->len; i++)
    {
      const KfContact *contact = g_ptr_array_index (self->contacts, i);

      if (memcmp (contact->public_key, public_key, KF_IDENTITY_PUBLIC_KEY_SIZE) == 0)
        return contact;
    }
  return NULL;
}

/*
 * kf_contacts_find_name:
 *
 * Returns: (transfer container) (element-type KfContact): the contacts
 * seen under @name (folded: case and compatibility forms do not count),
 * the most recent exchange first; usually one.  Valid until the store
 * next changes.
 */
GPtrArray *
kf_contacts_find_name (KfContacts *self,
                       const char *name)
{
  g_autofree char *folded = NULL;
  GPtrArray *found;

  g_return_val_if_fail (KF_IS_CONTACTS (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  folded = fold_name (name);
  found = g_ptr_array_new ();
  for (guint i = 0; i < self->contacts->len; i++)
    if (has_name (g_ptr_array_index (self->contacts, i), folded))
      g_ptr_array_add (found, g_ptr_array_index (self->contacts, i));
  g_ptr_array_sort (found, compare_recent);
  return found;
}

/*
 * kf_contacts_check:
 * @name: (nullable): the name the peer goes by now
 * @known: (out) (optional) (nullable): the contact this is about: the
 *   identity itself when KNOWN, the contact that had @name when CHANGED
 *
 * Returns: %KF_CONTACT_CHANGED when a contact had @name and none of those
 * has @public_key (someone else is using the name of a person you know);
 * else %KF_CONTACT_KNOWN when @public_key is a contact's, under @name or
 * another; else %KF_CONTACT_NEW.
 */
KfContactCheck
kf_contacts_check (KfContacts       *self,
                   const char       *name,
                   const guint8      public_key[KF_IDENTITY_PUBLIC_KEY_SIZE],
                   const KfContact **known)
{
  g_autoptr(GPtrArray) owners = NULL;
  const KfContact *contact;

  g_return_val_if_fail (KF_IS_CONTACTS (self), KF_CONTACT_NEW);
  g_return_val_if_fail (public_key != NULL, KF_CONTACT_NEW);

  if (known != NULL)
    *known = NULL;
  contact = kf_contacts_lookup_key (self, public_key);
  owners = name != NULL ? kf_contacts_find_name (self, name) : g_ptr_array_new ();
  if (owners->len > 0 && (contact == NULL || !g_ptr_array_find (owners, contact, NULL)))
    {
      if (known != NULL)
        *known = g_ptr_array_index (owners, 0);
      return KF_CONTACT_CHANGED;
    }
  if (known != NULL)
    *known = contact;
  return contact != NULL ? KF_CONTACT_KNOWN : KF_CONTACT_NEW;
}

/* @names without @name (exactly, or folded when @folded), @name last
 * when given, at most MAX_NAMES of the latest. */
static GStrv
names_with (char       **names,
            const char  *name,
            gboolean     folded)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *key = folded ? fold_name (name) : NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autofree char *other = folded ? fold_name (names[i]) : NULL;

      if (folded ? !g_str_equal (other, key) : !g_str_equal (names[i], name))
        g_ptr_array_add (kept, names[i]);
    }
  if (!folded)
    g_ptr_array_add (kept, (gpointer) name);
  for (guint i = kept->len > MAX_NAMES ? kept->len - MAX_NAMES : 0; i < kept->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (kept, i));
  return g_strv_builder_end (builder);
}

static void
set_names (GKeyFile   *file,
           const char *group,
           GStrv       names)
{
  g_key_file_set_string_list (file, group, "names", (const char * const *) names,
                              g_strv_length (names));
}

/*
 * kf_contacts_remember:
 * @name: the name the peer went by, cleaned (kf-untrusted)
 *
 * Records a transfer with the identity @public_key under @name, now, and
 * saves the file (read again first): the contact is made or updated, and
 * @name now stands for this identity only (any other contact seen under
 * it loses it, as after accepting a changed identity).  Returns %FALSE
 * with the file error when the file cannot be read or written.
 */
gboolean
kf_contacts_remember (KfContacts    *self,
                      const char    *name,
                      const guint8   public_key[KF_IDENTITY_PUBLIC_KEY_SIZE],
                      GError       **error)
{
  g_autofree char *code = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *now = NULL;
  g_autoptr(GDateTime) utc = g_date_time_new_now_utc ();
  g_autoptr(KfContact) contact = NULL;
  g_auto(GStrv) names = NULL;

  g_return_val_if_fail (KF_IS_CONTACTS (self), FALSE);
  g_return_val_if_fail (name != NULL && g_utf8_validate (name, -1, NULL), FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);

  if (!kf_contacts_load (self, error))
    return FALSE;

  code = kf_identity_code_for_key (public_key);
  for (guint i = 0; i < self->contacts->len; i++)
    {
      const KfContact *other = g_ptr_array_index (self->contacts, i);
      g_auto(GStrv) kept = NULL;

      if (g_str_equal (other->code, code))
        {
          contact = kf_contact_copy (other);
          continue;
        }
      kept = names_with (other->names, name, TRUE);
      if (g_strv_length (kept) != g_strv_length (other->names))
        set_names (self->file, other->code, kept);
    }

  /* A group of that code that did not parse is replaced whole. */
  if (contact == NULL)
    g_key_file_remove_group (self->file, code, NULL);
  hex = kf_hex_encode (public_key, KF_IDENTITY_PUBLIC_KEY_SIZE);
  now = g_date_time_format_iso8601 (utc);
  names = names_with (contact != NULL ? contact->names : NULL, name, FALSE);
  g_key_file_set_string (self->file, code, "public-key", hex);
  set_names (self->file, code, names);
  if (contact == NULL || contact->first_exchange == NULL)
    g_key_file_set_string (self->file, code, "first-exchange", now);
  g_key_file_set_string (self->file, code, "last-exchange", now);
  g_key_file_set_int64 (self->file, code, "exchanges",
                        contact != NULL ? (gint64) contact->exchanges + 1 : 1);

  return save (self, error);
}

/*
 * kf_contacts_forget:
 * @name_or_code: an identity code, or a name (folded)
 * @forgotten: (out) (optional): how many contacts were forgotten
 *
 * Forgets the contact with that code or, when no contact has it, every
 * contact seen under that name, and saves the file (read again first);
 * forgetting no one leaves the file alone.  Returns %FALSE with the file
 * error when the file cannot be read or written.
 */
gboolean
kf_contacts_forget (KfContacts  *self,
                    const char  *name_or_code,
                    guint       *forgotten,
                    GError     **error)
{
  g_autoptr(GPtrArray) gone = NULL;
  const KfContact *by_code;
  g_auto(GStrv) codes = NULL;

  g_return_val_if_fail (KF_IS_CONTACTS (self), FALSE);
  g_return_val_if_fail (name_or_code != NULL, FALSE);

  if (forgotten != NULL)
    *forgotten = 0;
  if (!kf_contacts_load (self, error))
    return FALSE;

  by_code = kf_contacts_lookup_code (self, name_or_code);
  if (by_code != NULL)
    {
      gone = g_ptr_array_new ();
      g_ptr_array_add (gone, (gpointer) by_code);
    }
  else
    gone = kf_contacts_find_name (self, name_or_code);
  if (gone->len == 0)
    return TRUE;

  /* The contacts go away with their groups: copy the codes first. */
  codes = g_new0 (char *, gone->len + 1);
  for (guint i = 0; i < gone->len; i++)
    codes[i] = g_strdup (((const KfContact *) g_ptr_array_index (gone, i))->code);
  for (guint i = 0; codes[i] != NULL; i++)
    g_key_file_remove_group (self->file, codes[i], NULL);
  if (forgotten != NULL)
    *forgotten = gone->len;

  return save (self, error);
}

static void
kf_contacts_finalize (GObject *object)
{
  KfContacts *self = KF_CONTACTS (object);

  g_key_file_unref (self->file);
  g_ptr_array_unref (self->contacts);

  G_OBJECT_CLASS (kf_contacts_parent_class)->finalize (object);
}

static void
kf_contacts_class_init (KfContactsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kf_contacts_finalize;
  KF_FILE_STORE_CLASS (klass)->default_path = kf_contacts_default_path;
}

static void
kf_contacts_init (KfContacts *self)
{
  self->file = g_key_file_new ();
  self->contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) kf_contact_free);
}
