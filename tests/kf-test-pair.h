/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-test-km-client.h"
#include "kf-test-server.h"

G_BEGIN_DECLS

/* What the key-manager tests share: a fixture with a fresh in-process
 * server, and a pair of clients walked through a session step by step. */
typedef struct
{
  KfTestServer *server;
  guint16       port;
  const char   *fp;
} Fixture;

typedef struct
{
  KfTestKmClient    *sender;
  KfTestKmClient    *receiver;
  KfProtocolMessage *skey;
  KfProtocolMessage *rkey;
  char               sid[KF_SESSION_ID_MAX + 1];
} Pair;

void            fixture_start    (Fixture              *f,
                                  const KfServerConfig *config,
                                  const char           *passphrase);
void            setup            (Fixture              *f,
                                  gconstpointer         data);
void            teardown         (Fixture              *f,
                                  gconstpointer         data);
KfTestKmClient *join             (Fixture              *f,
                                  const char           *name);
void            pair_start       (Fixture              *f,
                                  Pair                 *p,
                                  const char           *mode);
void            pair_confirm     (Pair                 *p);
void            pair_port        (Pair                 *p);
void            pair_clear       (Pair                 *p);
void            pair_report      (Pair                 *p,
                                  const char           *sender_report,
                                  const char           *receiver_report,
                                  KfVerdict             verdict,
                                  guint64               sender_blocks,
                                  guint64               receiver_blocks);
void            pair_to_stage    (Fixture              *f,
                                  Pair                 *p,
                                  guint                 stage,
                                  gboolean              vanishing_is_sender);
void            expect_cancelled (KfTestKmClient       *client,
                                  const char           *sid,
                                  KfCancelReason        reason);
void            normal_pairing   (Fixture              *f);

G_END_DECLS
