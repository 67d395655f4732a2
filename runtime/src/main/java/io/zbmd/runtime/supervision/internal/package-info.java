/** Implementation of {@link io.zbmd.runtime.supervision}; not for use outside it. */
@InternalApi
package io.zbmd.runtime.supervision.internal;

import org.apache.pekko.annotation.InternalApi;
