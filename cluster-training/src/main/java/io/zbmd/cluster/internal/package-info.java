/** Implementation of the data plane; not for users. */
package io.zbmd.cluster.internal;
