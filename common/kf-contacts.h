/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-file-store.h"

#include "kf-identity.h"

G_BEGIN_DECLS

/* What a peer's name and identity key are to the contacts. */
typedef enum
{
  KF_CONTACT_NEW,      /* neither this identity nor this name is a contact */
  KF_CONTACT_KNOWN,    /* this identity is a contact (under this name, or no contact has it) */
  KF_CONTACT_CHANGED,  /* a contact's name, with another identity: not the person you knew */
} KfContactCheck;

/* One remembered peer: read-only for callers. */
typedef struct
{
  char      *code;                                    /* "ABCD-EFGH-IJKL-MNOP" */
  guint8     public_key[KF_IDENTITY_PUBLIC_KEY_SIZE];
  GStrv      names;                                   /* the names seen, the latest last */
  GDateTime *first_exchange;
  GDateTime *last_exchange;
  guint      exchanges;
} KfContact;

#define KF_TYPE_CONTACT        (kf_contact_get_type ())
#define KF_TYPE_CONTACT_CHECK  (kf_contact_check_get_type ())
#define KF_TYPE_CONTACTS       (kf_contacts_get_type ())
G_DECLARE_FINAL_TYPE (KfContacts, kf_contacts, KF, CONTACTS, KfFileStore)

GType            kf_contact_get_type          (void) G_GNUC_CONST;
GType            kf_contact_check_get_type    (void) G_GNUC_CONST;
KfContact       *kf_contact_copy              (const KfContact  *contact);
void             kf_contact_free              (KfContact        *contact);
const char      *kf_contact_get_latest_name   (const KfContact  *contact);

char            *kf_contacts_default_path     (void);
KfContacts      *kf_contacts_new              (const char       *path);
const char      *kf_contacts_get_path         (KfContacts       *self);
gboolean         kf_contacts_load             (KfContacts       *self,
                                               GError          **error);
GPtrArray       *kf_contacts_list             (KfContacts       *self);
const KfContact *kf_contacts_lookup_code      (KfContacts       *self,
                                               const char       *code);
const KfContact *kf_contacts_lookup_key       (KfContacts       *self,
                                               const guint8      public_key[KF_IDENTITY_PUBLIC_KEY_SIZE]);
GPtrArray       *kf_contacts_find_name        (KfContacts       *self,
                                               const char       *name);
KfContactCheck   kf_contacts_check            (KfContacts       *self,
                                               const char       *name,
                                               const guint8      public_key[KF_IDENTITY_PUBLIC_KEY_SIZE],
                                               const KfContact **known);
gboolean         kf_contacts_remember         (KfContacts       *self,
                                               const char       *name,
                                               const guint8      public_key[KF_IDENTITY_PUBLIC_KEY_SIZE],
                                               GError          **error);
gboolean         kf_contacts_forget           (KfContacts       *self,
                                               const char       *name_or_code,
                                               guint            *forgotten,
                                               GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfContact, kf_contact_free)

G_END_DECLS
