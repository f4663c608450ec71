// WebRTC is not available in Cloudy's BitTorrent services: TCP and uTP-free BitTorrent only.
function unavailable() {
  throw new Error('WebRTC is not available in Cloudy (webrtc-polyfill stub)')
}
export const RTCPeerConnection = unavailable
export const RTCSessionDescription = unavailable
export const RTCIceCandidate = unavailable
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }
