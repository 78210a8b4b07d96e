/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A man in the middle for the peer link: relays one connection to the
 * receiver and damages the sender's records on the way. */
typedef enum
{
  KF_TEST_PROXY_FLIP,          /* flip one bit in record N's payload */
  KF_TEST_PROXY_SWAP,          /* send record N+1 before record N */
  KF_TEST_PROXY_DUPLICATE,     /* send record N twice */
  KF_TEST_PROXY_CUT_BOUNDARY,  /* hang up after record N-1 */
  KF_TEST_PROXY_CUT_MIDDLE,    /* hang up half way through record N */
} KfTestProxyDamage;

typedef struct _KfTestProxy KfTestProxy;

KfTestProxy *kf_test_proxy_new      (guint16            target_port,
                                     KfTestProxyDamage  damage,
                                     guint              record);
guint16      kf_test_proxy_get_port (KfTestProxy       *proxy);
void         kf_test_proxy_free     (KfTestProxy       *proxy);

G_END_DECLS
