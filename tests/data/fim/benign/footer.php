<footer class="site-footer">
	<div id="mobile-menu" style="display:none">
		<ul>
			<li><a href="https://portal.example.gov.vn/tin-tuc/">Tin tức</a></li>
			<li><a href="https://portal.example.gov.vn/thu-tuc-hanh-chinh/">Thủ tục hành chính</a></li>
		</ul>
	</div>
	<!-- Google Tag Manager (noscript) -->
	<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-ABC123"
	height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>
	<p>Ủy ban nhân dân xã – Địa chỉ: 01 Đường Chính – Điện thoại: 0210 3800 000</p>
	<?php wp_footer(); ?>
</footer>
