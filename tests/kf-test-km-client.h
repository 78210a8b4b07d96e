/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-identity.h"
#include "kf-protocol.h"

G_BEGIN_DECLS

/* A protocol-level key-manager client for tests: blocking writes, line
 * reads with a timeout (the server must run in another thread, or in
 * another process).  Every helper named expect_* asserts. */
typedef struct _KfTestKmClient KfTestKmClient;

#define KF_TEST_TIMEOUT_MS 10000

KfTestKmClient    *kf_test_km_client_connect       (guint16          port,
                                                    const char      *pin,
                                                    GError         **error);
KfTestKmClient    *kf_test_km_client_connect_plain (guint16          port,
                                                    GError         **error);
KfTestKmClient    *kf_test_km_client_connect_v1    (guint16          port,
                                                    const char      *pin,
                                                    GError         **error);
void               kf_test_km_client_set_identity  (KfTestKmClient  *self,
                                                    KfIdentity      *identity);
KfIdentity        *kf_test_km_client_get_identity  (KfTestKmClient  *self);
char              *kf_test_km_client_get_key_hex   (KfTestKmClient  *self);
char              *kf_test_km_client_hello_line    (KfTestKmClient  *self,
                                                    const char      *name);
KfTestKmClient    *kf_test_km_client_join          (guint16          port,
                                                    const char      *pin,
                                                    const char      *name,
                                                    const char      *passphrase);
KfTestKmClient    *kf_test_km_client_join_as       (guint16          port,
                                                    const char      *pin,
                                                    const char      *name,
                                                    const char      *passphrase,
                                                    KfIdentity      *identity);
void               kf_test_km_client_free          (KfTestKmClient  *self);
guint64            kf_test_km_client_get_id        (KfTestKmClient  *self);
const char        *kf_test_km_client_get_fingerprint (KfTestKmClient *self);

gboolean           kf_test_km_client_send          (KfTestKmClient  *self,
                                                    const char      *line,
                                                    GError         **error);
gboolean           kf_test_km_client_send_raw      (KfTestKmClient  *self,
                                                    const void      *data,
                                                    gsize            len,
                                                    GError         **error);
void               kf_test_km_client_sendf         (KfTestKmClient  *self,
                                                    const char      *format,
                                                    ...) G_GNUC_PRINTF (2, 3);
char              *kf_test_km_client_read_line     (KfTestKmClient  *self,
                                                    guint            timeout_ms,
                                                    GError         **error);
KfProtocolMessage *kf_test_km_client_read_message  (KfTestKmClient  *self);
KfProtocolMessage *kf_test_km_client_expect        (KfTestKmClient  *self,
                                                    KfMsgType        type);
void               kf_test_km_client_expect_ok     (KfTestKmClient  *self,
                                                    KfMsgType        reply_to);
void               kf_test_km_client_expect_err    (KfTestKmClient  *self,
                                                    KfProtocolError  code);
void               kf_test_km_client_expect_eof    (KfTestKmClient  *self);
void               kf_test_km_client_expect_silence (KfTestKmClient *self,
                                                    guint            ms);
void               kf_test_km_client_command       (KfTestKmClient  *self,
                                                    const char      *line,
                                                    KfMsgType        reply_to);
void               kf_test_km_client_confirm       (KfTestKmClient    *self,
                                                    const KfProtocolMessage *key);
char              *kf_test_km_confirmation         (const KfProtocolMessage *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfTestKmClient, kf_test_km_client_free)

G_END_DECLS
